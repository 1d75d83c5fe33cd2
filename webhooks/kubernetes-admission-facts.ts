// AdmissionFacts read live from the apiserver: what the webhooks use until their caches have synced
// (cached-admission-facts.ts), and how a namespace's executor config is chosen either way. Each lookup is bounded
// well inside the webhooks' 5 s timeout (the two a Performer review needs run side by side), so that a slow
// apiserver yields a clear "try again" instead of the apiserver giving up on the webhook.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type ExecutorConfig, parseExecutorConfig } from "../src/api/executor-config.ts";
import {
  avsLabelValue,
  LABEL_AVS,
  LABEL_EXECUTOR_CONFIG,
  PERFORMER_GROUP,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
  type Performer,
} from "../src/api/performer.ts";
import { errorsOf, formatProblem } from "../src/api/problem.ts";
import { requestOptions } from "../src/kube/deadline.ts";
import type { AdmissionFacts, NamespaceExecutorConfig } from "./admission-facts.ts";
import { bounded } from "./bounded-lookup.ts";
import { EXECUTOR_CONFIG_KEY } from "./validate-executor-config.ts";

/** How long one admission lookup may take: well inside the webhooks' 5 s timeout. */
export const LOOKUP_TIMEOUT_MS = 2_000;
const LIST_HINT = "grant the operator's ServiceAccount list on them";

/** A ConfigMap as far as admission reads it. */
export interface ExecutorConfigMap {
  metadata?: { name?: string };
  data?: { [key: string]: string };
}

/**
 * Picks a namespace's executor config from its labelled ConfigMaps. Both webhooks read it on every Performer
 * write; each text a ConfigMap holds is parsed (and, when invalid, reported) once. Keyed by namespace/name;
 * entries go when their ConfigMap is no longer among those of its namespace.
 */
export type ExecutorConfigSelector = (
  namespace: string,
  configMaps: readonly ExecutorConfigMap[],
) => NamespaceExecutorConfig | undefined;

/** An ExecutorConfigSelector that parses each ConfigMap text once and logs an invalid one once. */
export function executorConfigSelector(logger: Logger): ExecutorConfigSelector {
  const parsedVersions = new Map<string, { text: string; config?: ExecutorConfig }>();
  const parsedConfig = (namespace: string, name: string, text: string) => {
    const key = `${namespace}/${name}`;
    const known = parsedVersions.get(key);
    if (known?.text === text) return known.config;
    const parsed = parseExecutorConfig(text);
    const errors = errorsOf(parsed.problems);
    const config = errors.length === 0 ? parsed.config : undefined;
    if (!config) {
      logger.warn(
        // The first problems say what to fix; a hostile config's thousands would only flood the log.
        {
          namespace,
          configMap: name,
          problems: errors.slice(0, 10).map(formatProblem),
          count: errors.length,
        },
        "ignoring an executor config that does not validate",
      );
    }
    parsedVersions.set(key, { text, config });
    return config;
  };
  return (namespace, configMaps) => {
    const items = [...configMaps].sort((a, b) =>
      (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""),
    );
    const listed = new Set(items.map((item) => `${namespace}/${item.metadata?.name ?? ""}`));
    for (const key of parsedVersions.keys()) {
      if (key.startsWith(`${namespace}/`) && !listed.has(key)) parsedVersions.delete(key);
    }
    // One executor config per namespace is the layout; with several, the first by name decides, predictably.
    for (const item of items) {
      const name = item.metadata?.name ?? "";
      const text = item.data?.[EXECUTOR_CONFIG_KEY];
      if (text === undefined) continue;
      const config = parsedConfig(namespace, name, text);
      if (config) return { configMapName: name, config };
    }
    return undefined;
  };
}

/** Facts read live, bounded by `timeoutMs` each. */
export function kubernetesAdmissionFacts(
  kubeConfig: KubeConfig,
  logger: Logger,
  timeoutMs = LOOKUP_TIMEOUT_MS,
  selectConfig: ExecutorConfigSelector = executorConfigSelector(logger),
): AdmissionFacts {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const timeoutSeconds = Math.max(1, Math.floor(timeoutMs / 1000));
  return {
    async executorConfig(namespace, signal) {
      const list = await bounded(
        `list the executor-config ConfigMaps in namespace ${namespace}`,
        timeoutMs,
        LIST_HINT,
        (bound) =>
          core.listNamespacedConfigMap(
            { namespace, labelSelector: `${LABEL_EXECUTOR_CONFIG}=true`, timeoutSeconds },
            requestOptions(bound),
          ),
        signal,
      );
      return selectConfig(namespace, list.items);
    },
    async performersOfAvs(namespace, avsAddress, signal) {
      const list = await bounded(
        `list the Performers of AVS ${avsAddress} in namespace ${namespace}`,
        timeoutMs,
        LIST_HINT,
        (bound) =>
          custom.listNamespacedCustomObject(
            {
              group: PERFORMER_GROUP,
              version: PERFORMER_VERSION,
              namespace,
              plural: PERFORMER_PLURAL,
              labelSelector: `${LABEL_AVS}=${avsLabelValue(avsAddress)}`,
              timeoutSeconds,
            },
            requestOptions(bound),
          ),
        signal,
      );
      return (list as { items?: Performer[] }).items ?? [];
    },
  };
}
