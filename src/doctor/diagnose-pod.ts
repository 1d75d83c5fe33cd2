// A performer Pod's problems as the troubleshooting guide names them, from the Pod's status and its Events (what
// the scheduler and the kubelet write): Pending for want of resources, taints or a node selector,
// ImagePullBackOff, CrashLoopBackOff with the last exit code, failing readiness. Pure.
import type {
  CoreV1Event,
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1Pod,
} from "@kubernetes/client-node";
import type { Finding } from "./finding.ts";

function ref(pod: V1Pod): string {
  return `pod/${pod.metadata?.name} -n ${pod.metadata?.namespace}`;
}

/** The scheduler's reason for a Pending Pod: the PodScheduled condition, else its last FailedScheduling Event. */
function schedulingMessage(pod: V1Pod, events: readonly CoreV1Event[]): string | undefined {
  const condition = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (condition?.message) return condition.message;
  return events.filter((e) => e.reason === "FailedScheduling").at(-1)?.message;
}

function pendingFinding(pod: V1Pod, message: string): Finding {
  const ns = pod.metadata?.namespace;
  const base = { check: "Pods in Pending State", object: ref(pod) };
  if (/Insufficient (cpu|memory|[\w./-]+)/.test(message)) {
    return {
      ...base,
      problem: `Insufficient resources: ${message}`,
      fix: `scale up the cluster or reduce the Performer's spec.resources.requests (kubectl describe nodes; kubectl get pods -n ${ns} -o yaml | grep -A 5 resources)`,
    };
  }
  if (/untolerated taint|had taint/.test(message)) {
    return {
      ...base,
      problem: `node taints: ${message}`,
      fix: "add a matching toleration to the Performer's spec.scheduling.tolerations, or remove the taint (kubectl taint nodes NODE KEY-)",
    };
  }
  if (/node affinity\/selector|didn't match Pod's node affinity|node\(s\) didn't match/.test(message)) {
    return {
      ...base,
      problem: `node selector/affinity: ${message}`,
      fix: "relax the Performer's spec.scheduling.nodeSelector or affinity, or label a node to match (kubectl label nodes NODE KEY=VALUE)",
    };
  }
  return {
    ...base,
    problem: `Pending: ${message}`,
    fix: `kubectl describe pod ${pod.metadata?.name} -n ${ns}`,
  };
}

/**
 * A container that keeps exiting with an error. The kubelet shows CrashLoopBackOff as the waiting reason only once
 * its back-off has grown (minutes, on kubelet 1.36); until then the container reads terminated/Error between
 * restarts, so a restart after a failed exit is the sign, with the exit code of the run that failed.
 */
export function crashLoopOf(container: V1ContainerStatus): V1ContainerStateTerminated | undefined {
  const failed = container.state?.terminated ?? container.lastState?.terminated;
  if (container.state?.waiting?.reason === "CrashLoopBackOff") return failed ?? { exitCode: Number.NaN };
  if ((container.restartCount ?? 0) === 0 || !failed || failed.exitCode === 0) return undefined;
  return container.state?.running && container.ready ? undefined : failed;
}

/** A performer Pod's problems in the troubleshooting guide's terms, from its status, its Events and its log
 * tail. */
export function podFindings(pod: V1Pod, events: readonly CoreV1Event[], logTail?: string): Finding[] {
  const findings: Finding[] = [];
  const name = pod.metadata?.name;
  const ns = pod.metadata?.namespace;
  if (pod.status?.phase === "Pending" && !pod.spec?.nodeName) {
    const message = schedulingMessage(pod, events);
    if (message) findings.push(pendingFinding(pod, message));
  }
  for (const container of pod.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    const crash = crashLoopOf(container);
    if (waiting?.reason === "ImagePullBackOff" || waiting?.reason === "ErrImagePull") {
      findings.push({
        check: "ImagePullBackOff",
        object: ref(pod),
        problem: `${waiting.reason}: cannot pull image ${container.image}: ${waiting.message ?? ""}`.trim(),
        fix: "check the image name (the Performer's spec.image and spec.version), registry access, and spec.imagePullSecrets",
      });
    } else if (crash) {
      const exit = Number.isNaN(crash.exitCode)
        ? ""
        : ` (last exit code ${crash.exitCode}${crash.reason ? `, ${crash.reason}` : ""})`;
      const restarts = container.restartCount ? `, restarted ${container.restartCount} times` : "";
      findings.push({
        check: "CrashLoopBackOff",
        object: ref(pod),
        problem: `CrashLoopBackOff: container ${container.name} crashes on startup${exit}${restarts}${logTail ? `; last log lines:\n${logTail}` : ""}`,
        fix: `check the application's logs and configuration: kubectl logs ${name} -n ${ns} --previous`,
      });
    } else if (container.state?.running && !container.ready) {
      const failed = events.filter((e) => e.reason === "Unhealthy").at(-1)?.message;
      findings.push({
        check: "Performer Health Check Failures",
        object: ref(pod),
        problem: `container ${container.name} is running but failing its readiness probe${failed ? `: ${failed}` : ""}`,
        fix: "fix the health endpoint the Performer's spec.healthCheck names (path /health, port 8090 by default), or adjust its timing (initialDelaySeconds, periodSeconds)",
      });
    }
  }
  return findings;
}
