// AdmissionFacts from informer caches, on every replica that serves the webhooks: the executor-config ConfigMaps
// and the Performers of every namespace, each reduced to what the decisions read, shared by both Performer
// webhooks. A review then costs no apiserver round trip (with 1,000 Performers in a namespace, a live list of
// them grows with the namespace; a consistent list also waits for the apiserver's watch cache to catch up with
// etcd, which costs tens of ms whenever another resource was just written). Until a cache has listed, its facts
// are read live, bounded as before (kubernetes-admission-facts.ts).
// A cache lags the cluster by a watch event, as a live list lagged a write made meanwhile: two Performers of one
// AVS with different modes, written at the same instant, could each pass; the controller's status shows both.
import type { KubeConfig, KubernetesObject, V1ConfigMap } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  avsLabelValue,
  LABEL_AVS,
  LABEL_EXECUTOR_CONFIG,
  PERFORMERS_PATH,
  type Performer,
} from "../src/api/performer.ts";
import { Informer } from "../src/kube/informer.ts";
import { apiListWatch } from "../src/kube/list-watch.ts";
import type { AdmissionFacts } from "./admission-facts.ts";
import { executorConfigSelector, kubernetesAdmissionFacts } from "./kubernetes-admission-facts.ts";
import { EXECUTOR_CONFIG_KEY } from "./validate-executor-config.ts";

/** AdmissionFacts served from informer caches, live until they have synced. */
export interface CachedAdmissionFacts extends AdmissionFacts {
  /** True once both caches have listed; until then lookups are live. */
  synced(): boolean;
  stop(): Promise<void>;
}

/** The cluster and logger the admission caches run with, and where lookups go until they sync. */
export interface CachedAdmissionFactsOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  watchdogMs?: number;
  /** Where lookups go until the caches have synced; the bounded live lookups by default. */
  live?: AdmissionFacts;
}

/** What the executor-config cache keeps of a ConfigMap: its name and the config text. */
export function cachedExecutorConfigMap(configMap: V1ConfigMap): V1ConfigMap {
  const { name, namespace, resourceVersion } = configMap.metadata ?? {};
  const text = configMap.data?.[EXECUTOR_CONFIG_KEY];
  return {
    metadata: { name, namespace, resourceVersion },
    ...(text === undefined ? {} : { data: { [EXECUTOR_CONFIG_KEY]: text } }),
  };
}

/** What the Performer cache keeps: what the deployment-mode rules read of the AVS's other Performers. */
export function cachedModeOfPerformer(performer: Performer): Performer {
  const { name, namespace, resourceVersion, labels } = performer.metadata ?? {};
  const avs = labels?.[LABEL_AVS];
  return {
    apiVersion: performer.apiVersion,
    kind: performer.kind,
    metadata: {
      name,
      namespace,
      resourceVersion,
      ...(avs === undefined ? {} : { labels: { [LABEL_AVS]: avs } }),
    },
    spec: {
      avsAddress: performer.spec?.avsAddress,
      ...(performer.spec?.deploymentMode === undefined
        ? {}
        : { deploymentMode: performer.spec.deploymentMode }),
    } as Performer["spec"],
  };
}

/** Starts the informers on executor-config ConfigMaps and Performers that admission reads its facts from. */
export function startCachedAdmissionFacts(options: CachedAdmissionFactsOptions): CachedAdmissionFacts {
  const { kubeConfig, logger } = options;
  const watchdogMs = options.watchdogMs ?? 3 * 60_000;
  const selectConfig = executorConfigSelector(logger);
  const live = options.live ?? kubernetesAdmissionFacts(kubeConfig, logger, undefined, selectConfig);
  const informer = <T extends KubernetesObject>(
    name: string,
    path: string,
    labelSelector: string,
    transform: (object: T) => T,
  ) =>
    new Informer<T>({
      name,
      logger,
      watchdogMs,
      source: apiListWatch<T>(kubeConfig, { path, labelSelector, inactivityTimeoutMs: watchdogMs + 30_000 }),
      transform,
      // Read on demand; nothing to react to.
      onEvent: () => {},
    });
  const configMaps = informer<V1ConfigMap>(
    "admission-executor-configs",
    "/api/v1/configmaps",
    `${LABEL_EXECUTOR_CONFIG}=true`,
    cachedExecutorConfigMap,
  );
  // Every Performer admitted carries the AVS label (the mutating webhook sets it); the live lookup selects on it too.
  const performers = informer<Performer>(
    "admission-performers",
    PERFORMERS_PATH,
    LABEL_AVS,
    cachedModeOfPerformer,
  );
  configMaps.start();
  performers.start();
  return {
    synced: () => configMaps.hasSynced() && performers.hasSynced(),
    async executorConfig(namespace, signal) {
      if (!configMaps.hasSynced()) return live.executorConfig(namespace, signal);
      return selectConfig(namespace, configMaps.listNamespace(namespace));
    },
    async performersOfAvs(namespace, avsAddress, signal) {
      if (!performers.hasSynced()) return live.performersOfAvs(namespace, avsAddress, signal);
      const label = avsLabelValue(avsAddress);
      return performers.listNamespace(namespace).filter((p) => p.metadata.labels?.[LABEL_AVS] === label);
    },
    async stop() {
      await Promise.all([configMaps.stop(), performers.stop()]);
    },
  };
}
