// The executor's config: parsed from YAML in either dialect (Hourglass's camelCase or the guide's snake_case) into
// one model, with every problem found at once, each with its YAML path (as the file spells it) and line.
// `hourglass-executor validate`, `hourglass-executor run` and the executor-config admission webhook all call
// parseExecutorConfig, so they accept and refuse exactly the same documents with the same messages.
import { canonicalize } from "./config-dialect.ts";
import {
  type AvsConfig,
  type ExecutorConfig,
  type ExecutorDeploymentMode,
  executorConfigModel,
  type ResourceRequirements,
} from "./executor-config-model.ts";
import { executorConfigRules } from "./executor-config-rules.ts";
import { ExecutorConfigSchema } from "./executor-config-schema.ts";
import { error, type Problem } from "./problem.ts";
import { compileValidator } from "./schema-validation.ts";
import { parseYamlSource } from "./yaml-source.ts";

export type {
  AvsConfig,
  AvsEnv,
  BlsKeyRef,
  EcdsaKeyRef,
  ExecutorConfig,
  ExecutorDeploymentMode,
  KubernetesConfig,
  OperatorConfig,
  ResourceRequirements,
} from "./executor-config-model.ts";
export { EXECUTOR_DEFAULTS } from "./executor-config-model.ts";
export { KUBERNETES_CONFIG_REQUIRED, MIXED_DEPLOYMENT_MODES } from "./executor-config-rules.ts";

const validateSchema = compileValidator(ExecutorConfigSchema);

/** The outcome of parsing an executor config: the model when valid, and every problem found. */
export interface ParsedExecutorConfig {
  /** The model, defaults applied; absent when there is any error. */
  config?: ExecutorConfig;
  /** Errors and warnings, in document order, each with its line. */
  problems: Problem[];
}

/**
 * `text` as a config. `checks` adds what only the caller can know (key files on this machine), about a config
 * otherwise without errors; its problems get their lines like the others.
 */
export function parseExecutorConfig(
  text: string,
  checks?: (config: ExecutorConfig) => Problem[],
): ParsedExecutorConfig {
  const source = parseYamlSource(text);
  if (source.syntaxProblems.length > 0) return { problems: source.syntaxProblems };
  const value = source.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { problems: [{ ...error("(document)", "must be a YAML mapping of config keys"), line: 1 }] };
  }
  const canonical = canonicalize(value as Record<string, unknown>, ExecutorConfigSchema);
  const { tree, dialect, sourcePath } = canonical;
  const found = [...validateSchema(tree), ...executorConfigRules(tree, sourcePath)].map((p) => ({
    ...p,
    path: sourcePath(p.path),
  }));
  const withLines = (list: Problem[]) =>
    list.map((p) => ({ ...p, line: source.lineOf(p.path) })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const problems = withLines([...canonical.problems, ...found]);
  if (problems.some((p) => p.severity === "error")) return { problems };
  const config = executorConfigModel(tree, dialect, sourcePath);
  return { config, problems: checks ? withLines([...problems, ...checks(config)]) : problems };
}

/** The AVS with this address (addresses compare case-insensitively, as checksummed and lower-case forms do). */
export function findAvs(config: ExecutorConfig, avsAddress: string): AvsConfig | undefined {
  const wanted = avsAddress.toLowerCase();
  return config.avs.find((avs) => avs.address.toLowerCase() === wanted);
}

/** How `avs` runs, or how the executor runs when no AVS is given. */
export function deploymentModeOf(config: ExecutorConfig, avs?: AvsConfig): ExecutorDeploymentMode {
  return avs?.deploymentMode ?? config.deploymentMode;
}

/** Kubernetes resource requirements for a performer of this AVS: its own default_resources, else the top level's. */
export function defaultResourcesFor(
  config: ExecutorConfig,
  avsAddress: string,
): ResourceRequirements | undefined {
  const avs = findAvs(config, avsAddress);
  return avs ? avs.defaultResources : config.defaultResources;
}
