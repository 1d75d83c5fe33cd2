// Where the doctor reaches an executor's Pod, and what it tells the user to read when the executor is not ready.
import type { V1Pod } from "@kubernetes/client-node";

/** The port an executor Pod serves /ready on: its container port named `health`, else the executor's default. */
export function executorHealthPort(pod: V1Pod): number {
  for (const container of pod.spec?.containers ?? []) {
    const port = container.ports?.find((p) => p.name === "health")?.containerPort;
    if (port) return port;
  }
  return 8090;
}

/** What `kubectl logs` names for the Pod's executor: its Deployment (the ReplicaSet's name less the template hash). */
export function executorLogsTarget(pod: V1Pod): string {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller && r.kind === "ReplicaSet");
  const hash = pod.metadata?.labels?.["pod-template-hash"];
  if (owner && hash && owner.name.endsWith(`-${hash}`)) {
    return `deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  return `pod/${pod.metadata?.name}`;
}
