// deployment_mode consistency between a Performer and its namespace: a Performer runs its AVS in kubernetes mode,
// so the namespace's executor must not run that AVS in docker mode, and the AVS's other Performers must agree.
import { deploymentModeOf, findAvs, MIXED_DEPLOYMENT_MODES } from "../src/api/executor-config.ts";
import type { Performer } from "../src/api/performer.ts";
import { DEFAULT_DEPLOYMENT_MODE } from "../src/api/performer-defaults.ts";
import { error, type Problem, warning } from "../src/api/problem.ts";
import type { NamespaceExecutorConfig } from "./admission-facts.ts";

/** What the deployment_mode rule needs of the cluster: the executor config and the AVS's other Performers. */
export interface DeploymentModeFacts {
  executorConfig?: NamespaceExecutorConfig;
  /** The namespace's Performers of the same AVS (the one under review may be among them; it is skipped). */
  sameAvsPerformers: readonly Performer[];
}

/** The problems with a Performer's deployment mode against its namespace's executor and its AVS's Performers. */
export function deploymentModeProblems(
  name: string,
  spec: { avsAddress?: unknown; deploymentMode?: unknown },
  facts: DeploymentModeFacts,
): Problem[] {
  if (typeof spec.avsAddress !== "string") {
    return [];
  }
  const problems: Problem[] = [];
  const mode = typeof spec.deploymentMode === "string" ? spec.deploymentMode : DEFAULT_DEPLOYMENT_MODE;
  const executor = facts.executorConfig;
  if (executor) {
    const avs = findAvs(executor.config, spec.avsAddress);
    const where = `the executor config in ConfigMap ${executor.configMapName}`;
    if (avs === undefined) {
      problems.push(
        warning(
          "spec.avsAddress",
          `${where} lists no AVS ${spec.avsAddress}, so its executor sends this performer no tasks; add it to avs_config.supported_avs`,
        ),
      );
    } else {
      const executorMode = deploymentModeOf(executor.config, avs);
      if (executorMode !== mode) {
        problems.push(
          error(
            "spec.deploymentMode",
            `${MIXED_DEPLOYMENT_MODES}: ${where} runs AVS ${spec.avsAddress} in ${executorMode} mode and this Performer in ${mode} mode; ` +
              `set deployment_mode: ${mode} for it there, or remove this Performer`,
          ),
        );
      }
    }
  }
  for (const other of facts.sameAvsPerformers) {
    const otherMode = other.spec?.deploymentMode ?? DEFAULT_DEPLOYMENT_MODE;
    if (other.metadata?.name !== name && otherMode !== mode) {
      problems.push(
        error(
          "spec.deploymentMode",
          `${MIXED_DEPLOYMENT_MODES}: Performer ${other.metadata?.name} of the same AVS runs in ${otherMode} mode, this one in ${mode} mode; use one mode per AVS`,
        ),
      );
    }
  }
  return problems;
}
