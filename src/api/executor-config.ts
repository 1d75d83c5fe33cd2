// The executor's config: parsed from YAML with every problem found at once, each with its YAML path and line, and
// the defaults applied. `hourglass-executor validate`, `hourglass-executor run` and the executor-config admission
// webhook all call parseExecutorConfig, so they accept and refuse exactly the same files with the same messages.
import { existsSync, readFileSync } from "node:fs";
import type { TSchema } from "@sinclair/typebox";
import { parseGoDuration } from "./duration.ts";
import {
  type ExecutorConfig,
  ExecutorConfigSchema,
  type ExecutorDeploymentMode,
  type ExecutorResources,
  type SupportedAvs,
} from "./executor-config-schema.ts";
import { PERFORMER_GROUP, PERFORMER_KIND, PERFORMER_VERSION } from "./performer.ts";
import { error, type Problem, shown, warning } from "./problem.ts";
import { resourceProblems } from "./resource-rules.ts";
import { childPath, compileValidator } from "./schema-validation.ts";
import { closestMatch } from "./suggest.ts";
import { parseYamlSource } from "./yaml-source.ts";

export type { ExecutorConfig, SupportedAvs } from "./executor-config-schema.ts";

/** Messages the troubleshooting guide quotes; they must appear verbatim. */
export const MIXED_DEPLOYMENT_MODES = "mixed deployment modes not supported";
export const KUBERNETES_CONFIG_REQUIRED = "kubernetes configuration is required";
export const CONFIG_FILE_NOT_FOUND = "Config file not found";

/** Hourglass's executor runs performers as containers unless told otherwise. */
export const DEFAULT_DEPLOYMENT_MODE: ExecutorDeploymentMode = "docker";

/** What an omitted key means. */
export const EXECUTOR_DEFAULTS = {
  grpc_port: 9000,
  health_port: 8090,
  metrics_port: 8080,
  log_level: "info",
  log_format: "json",
  performer_config: {
    service_pattern: "performer-{name}.{namespace}.svc.cluster.local:{port}",
    default_port: 9090,
    connection_timeout: "30s",
    startup_timeout: "5m",
    retry_attempts: 3,
    max_performers: 10,
  },
  kubernetes: {
    operator_namespace: "hourglass-system",
    performer_crd_group: PERFORMER_GROUP,
    performer_crd_version: PERFORMER_VERSION,
    performer_crd_kind: PERFORMER_KIND,
    cleanup_on_shutdown: true,
    cleanup_timeout: "30s",
    connection_timeout: "30s",
    in_cluster: true,
  },
} as const;

const DURATIONS = [
  "performer_config.connection_timeout",
  "performer_config.startup_timeout",
  "kubernetes.cleanup_timeout",
  "kubernetes.connection_timeout",
];
const PLACEHOLDERS = new Set(["{name}", "{namespace}", "{port}"]);

const validateSchema = compileValidator(ExecutorConfigSchema);

type PerformerConfig = NonNullable<ExecutorConfig["performer_config"]>;
type KubernetesConfig = NonNullable<ExecutorConfig["kubernetes"]>;
type WithValues<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

/** The config as parseExecutorConfig returns it: every key that has a default has a value. */
export type ResolvedExecutorConfig = WithValues<
  ExecutorConfig,
  "deployment_mode" | "grpc_port" | "health_port" | "metrics_port" | "log_level" | "log_format"
> & {
  performer_config: Required<PerformerConfig>;
  kubernetes?: WithValues<KubernetesConfig, keyof typeof EXECUTOR_DEFAULTS.kubernetes>;
};

export interface ParsedExecutorConfig {
  /** The config with defaults applied; absent when there is any error. */
  config?: ResolvedExecutorConfig;
  /** Errors and warnings, in document order, each with its line. */
  problems: Problem[];
}

export function parseExecutorConfig(text: string): ParsedExecutorConfig {
  const source = parseYamlSource(text);
  if (source.syntaxProblems.length > 0) return { problems: source.syntaxProblems };
  const value = source.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { problems: [{ ...error("(document)", "must be a YAML mapping of config keys"), line: 1 }] };
  }
  const raw = value as Record<string, unknown>;
  const problems = [
    ...validateSchema(raw),
    ...unknownKeys(raw, ExecutorConfigSchema, ""),
    ...deploymentModeProblems(raw),
    ...avsProblems(raw),
    ...durationProblems(raw),
    ...servicePatternProblems(raw),
    ...chainProblems(raw),
    ...resourcesProblems(raw),
  ]
    .map((p) => ({ ...p, line: source.lineOf(p.path) }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.some((p) => p.severity === "error")) return { problems };
  return { config: withDefaults(raw as ExecutorConfig), problems };
}

/** Reads and parses `path`; a missing file is one problem, `Config file not found: <path>`, on the --config flag. */
export function loadExecutorConfigFile(path: string): ParsedExecutorConfig {
  if (!existsSync(path)) {
    return { problems: [error("--config", `${CONFIG_FILE_NOT_FOUND}: ${path} (check the --config path)`)] };
  }
  return parseExecutorConfig(readFileSync(path, "utf8"));
}

/** The AVS with this address (addresses compare case-insensitively, as checksummed and lower-case forms do). */
export function findAvs(config: ExecutorConfig, avsAddress: string): SupportedAvs | undefined {
  const wanted = avsAddress.toLowerCase();
  return config.avs_config.supported_avs.find((avs) => avs.address.toLowerCase() === wanted);
}

/** How `avs` runs (the top-level mode when it says nothing), or how the executor runs when no AVS is given. */
export function deploymentModeOf(config: ExecutorConfig, avs?: SupportedAvs): ExecutorDeploymentMode {
  return avs?.deployment_mode ?? config.deployment_mode ?? DEFAULT_DEPLOYMENT_MODE;
}

/** Kubernetes resource requirements for a performer of this AVS: its own default_resources, else the top level's. */
export function defaultResourcesFor(
  config: ExecutorConfig,
  avsAddress: string,
): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
  const resources = findAvs(config, avsAddress)?.default_resources ?? config.default_resources;
  if (!resources) return undefined;
  const asText = (list: Record<string, string | number> | undefined) =>
    list && Object.fromEntries(Object.entries(list).map(([name, q]) => [name, String(q)]));
  const requests = asText(resources.requests);
  const limits = asText(resources.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function withDefaults(raw: ExecutorConfig): ResolvedExecutorConfig {
  // Modes are consistent by now, so the first AVS that declares one speaks for all.
  const avsMode = raw.avs_config.supported_avs.find((avs) => avs.deployment_mode)?.deployment_mode;
  const { kubernetes, ...rest } = raw;
  return {
    ...rest,
    deployment_mode: raw.deployment_mode ?? avsMode ?? DEFAULT_DEPLOYMENT_MODE,
    grpc_port: raw.grpc_port ?? EXECUTOR_DEFAULTS.grpc_port,
    health_port: raw.health_port ?? EXECUTOR_DEFAULTS.health_port,
    metrics_port: raw.metrics_port ?? EXECUTOR_DEFAULTS.metrics_port,
    log_level: raw.log_level ?? EXECUTOR_DEFAULTS.log_level,
    log_format: raw.log_format ?? EXECUTOR_DEFAULTS.log_format,
    performer_config: { ...EXECUTOR_DEFAULTS.performer_config, ...raw.performer_config },
    ...(kubernetes ? { kubernetes: { ...EXECUTOR_DEFAULTS.kubernetes, ...kubernetes } } : {}),
  };
}

// --- rules ---------------------------------------------------------------------------------------------------

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  const inner =
    value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return inner !== null && typeof inner === "object" && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

function supportedAvs(raw: Record<string, unknown>): Record<string, unknown>[] {
  const list = objectAt(raw, "avs_config")?.supported_avs;
  return Array.isArray(list) ? list.map((avs) => (avs !== null && typeof avs === "object" ? avs : {})) : [];
}

function declaredModes(raw: Record<string, unknown>): { path: string; mode: string }[] {
  const modes: { path: string; mode: string }[] = [];
  if (typeof raw.deployment_mode === "string")
    modes.push({ path: "deployment_mode", mode: raw.deployment_mode });
  supportedAvs(raw).forEach((avs, i) => {
    if (typeof avs.deployment_mode === "string") {
      modes.push({ path: `avs_config.supported_avs[${i}].deployment_mode`, mode: avs.deployment_mode });
    }
  });
  return modes;
}

function deploymentModeProblems(raw: Record<string, unknown>): Problem[] {
  const declared = declaredModes(raw);
  const first = declared[0];
  const problems: Problem[] = declared
    .filter((d) => first && d.mode !== first.mode)
    .map((d) =>
      error(
        d.path,
        `${MIXED_DEPLOYMENT_MODES}: "${d.mode}" here, "${first!.mode}" at ${first!.path}; ` +
          "one executor runs all its performers one way: use the same deployment_mode everywhere",
      ),
    );
  const modes = new Set(declared.map((d) => d.mode));
  if (modes.has("kubernetes") && raw.kubernetes === undefined) {
    const where = declared.find((d) => d.mode === "kubernetes")!.path;
    problems.push(
      error(
        where,
        `${KUBERNETES_CONFIG_REQUIRED} for deployment_mode kubernetes: add a kubernetes section with at least ` +
          "namespace (the namespace of the executor's Performers)",
      ),
    );
  }
  return problems;
}

function avsProblems(raw: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const topMode = typeof raw.deployment_mode === "string" ? raw.deployment_mode : undefined;
  const seen = new Map<string, number>();
  supportedAvs(raw).forEach((avs, i) => {
    const path = `avs_config.supported_avs[${i}]`;
    const mode =
      (typeof avs.deployment_mode === "string" ? avs.deployment_mode : topMode) ?? DEFAULT_DEPLOYMENT_MODE;
    // docker mode: the executor runs performer_image itself, or routes to a performer run elsewhere.
    if (mode === "docker" && avs.endpoint === undefined && avs.performer_image === undefined) {
      problems.push(
        error(
          `${path}.endpoint`,
          "is required in docker mode without performer_image: host:port of a performer run elsewhere, e.g. performer-container:9090 (or performer_image, for the executor to run its container)",
        ),
      );
    }
    if (mode === "kubernetes" && avs.performer_image === undefined) {
      problems.push(
        error(`${path}.performer_image`, "is required in kubernetes mode: the performer's container image"),
      );
    }
    if (typeof avs.address === "string") {
      const earlier = seen.get(avs.address.toLowerCase());
      if (earlier !== undefined) {
        problems.push(
          error(
            `${path}.address`,
            `repeats avs_config.supported_avs[${earlier}].address; list each AVS once`,
          ),
        );
      } else {
        seen.set(avs.address.toLowerCase(), i);
      }
    }
  });
  return problems;
}

function durationProblems(raw: Record<string, unknown>): Problem[] {
  return DURATIONS.flatMap((path) => {
    const [section, key] = path.split(".") as [string, string];
    const value = objectAt(raw, section)?.[key];
    return value !== undefined && (typeof value !== "string" || parseGoDuration(value) === undefined)
      ? [error(path, `must be a Go duration such as 30s, 5m or 1h30m (got ${shown(value)})`)]
      : [];
  });
}

function servicePatternProblems(raw: Record<string, unknown>): Problem[] {
  const pattern = objectAt(raw, "performer_config")?.service_pattern;
  if (typeof pattern !== "string") return [];
  const unknown = [...pattern.matchAll(/\{[^}]*\}/g)].map((m) => m[0]).filter((p) => !PLACEHOLDERS.has(p));
  return unknown.length > 0
    ? [
        error(
          "performer_config.service_pattern",
          `has unknown placeholder ${unknown.join(", ")}; use {name}, {namespace} and {port}`,
        ),
      ]
    : [];
}

function chainProblems(raw: Record<string, unknown>): Problem[] {
  if (!Array.isArray(raw.chains)) return [];
  const schemes: Record<string, string[]> = { rpc_url: ["http:", "https:"], ws_url: ["ws:", "wss:"] };
  return raw.chains.flatMap((chain: unknown, i) =>
    Object.entries(schemes).flatMap(([key, allowed]) => {
      const url = objectAt({ chain }, "chain")?.[key];
      if (typeof url !== "string") return [];
      const scheme = URL.canParse(url) ? new URL(url).protocol : undefined;
      return scheme !== undefined && allowed.includes(scheme)
        ? []
        : [
            error(
              `chains[${i}].${key}`,
              // Node URLs often carry an API key, so the value itself is never quoted.
              `must be a ${allowed.map((s) => `${s}//`).join(" or ")} URL (got ${
                scheme === undefined ? "text that is not a URL" : `a ${shown(scheme)} URL`
              }; the value is not shown, since such URLs may hold a key)`,
            ),
          ];
    }),
  );
}

function resourcesProblems(raw: Record<string, unknown>): Problem[] {
  return [
    ...resourceProblems(raw.default_resources as ExecutorResources | undefined, "default_resources", {
      warnUncapped: false,
    }),
    ...supportedAvs(raw).flatMap((avs, i) =>
      resourceProblems(avs.default_resources, `avs_config.supported_avs[${i}].default_resources`, {
        warnUncapped: false,
      }),
    ),
  ];
}

/** A warning for each key the schema does not know at its level, with the nearest known key as a suggestion. */
function unknownKeys(value: unknown, schema: TSchema, path: string): Problem[] {
  if (Array.isArray(value)) {
    return schema.type === "array" && schema.items
      ? value.flatMap((item, i) => unknownKeys(item, schema.items as TSchema, `${path}[${i}]`))
      : [];
  }
  if (value === null || typeof value !== "object" || schema.type !== "object" || !schema.properties)
    return [];
  const known = schema.properties as Record<string, TSchema>;
  return Object.entries(value).flatMap(([key, inner]) => {
    const at = childPath(path, key);
    const field = known[key];
    if (field) return unknownKeys(inner, field, at);
    const suggestion = closestMatch(key, Object.keys(known));
    return [
      warning(
        at,
        suggestion
          ? `unknown key "${key}"; did you mean "${suggestion}"?`
          : `unknown key "${key}"; this executor does not use it (known here: ${Object.keys(known).join(", ")})`,
      ),
    ];
  });
}
