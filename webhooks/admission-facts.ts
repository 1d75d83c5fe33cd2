// What admission needs to know about the cluster, behind an interface so that the decisions stay pure: the
// server looks the facts up, the decision functions receive them as plain data.
import type { ExecutorConfig } from "../src/api/executor-config.ts";
import type { Performer } from "../src/api/performer.ts";

/** The executor config of a namespace, and the ConfigMap it came from (for messages that say where to look). */
export interface NamespaceExecutorConfig {
  configMapName: string;
  config: ExecutorConfig;
}

/** The cluster facts admission decisions need, looked up by the server and handed to the pure decisions. */
export interface AdmissionFacts {
  /** The namespace's executor config; undefined when it has none or lookups are off. `signal` cancels it. */
  executorConfig(namespace: string, signal?: AbortSignal): Promise<NamespaceExecutorConfig | undefined>;
  /** The Performers in the namespace that serve `avsAddress` (any case); empty when lookups are off. */
  performersOfAvs(namespace: string, avsAddress: string, signal?: AbortSignal): Promise<Performer[]>;
}

/** A lookup that failed or ran out of time: the review is answered as unavailable rather than decided blind. */
export class AdmissionLookupError extends Error {
  override name = "AdmissionLookupError";
}

/**
 * Without a cluster (no kubeconfig, not in a Pod): the rules that need a lookup are skipped and the operator's
 * own defaults apply.
 */
export const noClusterFacts: AdmissionFacts = {
  executorConfig: async () => undefined,
  performersOfAvs: async () => [],
};
