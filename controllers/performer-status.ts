// What a Performer's status says, from what the cluster reports about its Pod and Service. Pure: `now` is an
// argument, and the previous status (performer.status) only supplies lastTransitionTime of unchanged conditions.
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1Service } from "@kubernetes/client-node";
import {
  PERFORMER_CONTAINER,
  type Performer,
  type PerformerCondition,
  type PerformerPhase,
  type PerformerStatus,
  performerChildName,
  performerEndpoint,
} from "../src/api/performer.ts";
import {
  CONDITION_CONTAINER_RUNNING,
  CONDITION_IMAGE_AVAILABLE,
  CONDITION_OPERATOR_PERMISSIONS,
  CONDITION_READY,
  CONDITION_SCHEDULED,
  isImageReason,
  isProgressReason,
  type PerformerReason,
  phaseOfReason,
} from "../src/api/performer-conditions.ts";
import { DEFAULT_FAILURE_THRESHOLD, grpcPortOf, healthCheckOf } from "../src/api/performer-defaults.ts";

/** Why a child could not be brought to its desired state: refused by the apiserver, or owned by someone else. */
export interface ChildProblem {
  reason: PerformerReason;
  message: string;
}

/** The children as the reconciler last saw (or just wrote) them. */
export interface ObservedChildren {
  pod?: V1Pod;
  service?: V1Service;
  podProblem?: ChildProblem;
  serviceProblem?: ChildProblem;
  /** RBAC rules the operator lacks (ruleName), which its ClusterRole must grant. */
  missingPermissions?: string[];
}

type Verdict = Omit<PerformerCondition, "type" | "lastTransitionTime" | "observedGeneration">;

/** A Performer's status (phase, conditions, endpoint) from what is observed of its Pod and Service at `now`. */
export function performerStatus(
  performer: Performer,
  observed: ObservedChildren,
  now: Date,
): PerformerStatus {
  const { pod, service } = observed;
  const name = performer.metadata.name!;
  const scheduled = scheduledVerdict(name, pod);
  const image = imageVerdict(pod);
  const container = containerVerdict(pod);
  const ready = readyVerdict(performer, observed, [scheduled, image, container], now);
  const verdicts: [string, Verdict][] = [
    [CONDITION_READY, ready],
    [CONDITION_SCHEDULED, scheduled],
    [CONDITION_IMAGE_AVAILABLE, image],
    [CONDITION_CONTAINER_RUNNING, container],
  ];
  if (observed.missingPermissions?.length) {
    verdicts.push([CONDITION_OPERATOR_PERMISSIONS, permissionsVerdict(observed.missingPermissions)]);
  }
  const generation = performer.metadata.generation;
  const previous = performer.status?.conditions ?? [];
  const conditions = verdicts.map(([type, verdict]) => {
    const before = previous.find((c) => c.type === type);
    const lastTransitionTime =
      before && before.status === verdict.status ? before.lastTransitionTime : rfc3339(now);
    return {
      type,
      ...verdict,
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
  const podReady = podCondition(pod, "Ready");
  const lastHealthCheck = podReady?.lastProbeTime ?? podReady?.lastTransitionTime;
  return {
    phase: phaseOf(performer, ready),
    conditions,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(pod ? { podName: pod.metadata!.name } : {}),
    ...(service
      ? {
          serviceName: service.metadata!.name,
          endpoint: performerEndpoint(name, performer.metadata.namespace!, grpcPortOf(performer.spec)),
        }
      : {}),
    readyReplicas: ready.status === "True" ? 1 : 0,
    ...(lastHealthCheck ? { lastHealthCheck: rfc3339(new Date(lastHealthCheck)) } : {}),
  };
}

function permissionsVerdict(missing: string[]): Verdict {
  return notReady(
    "MissingPermission",
    `the operator may not ${missing.join(", ")}; add these rules to ClusterRole hourglass-operator (the operator's log has each rule to paste), then nothing needs restarting`,
  );
}

/**
 * How long until a starting performer that is still not ready counts as Unhealthy: its status then changes
 * without any event from the cluster, so the reconciler looks again after this delay. Undefined when nothing is
 * pending on the clock.
 */
export function startupGraceRemainingMs(
  performer: Performer,
  pod: V1Pod | undefined,
  now: Date,
): number | undefined {
  const running = performerContainerStatus(pod)?.state?.running;
  if (!running?.startedAt || podCondition(pod, "Ready")?.status === "True") return undefined;
  const remaining = startupGraceEnd(performer, new Date(running.startedAt)) - now.getTime();
  return remaining > 0 ? remaining : undefined;
}

/** metav1.Time's format: RFC 3339 in UTC, whole seconds. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function phaseOf(performer: Performer, ready: Verdict): PerformerPhase {
  if (performer.metadata.deletionTimestamp) return "Terminating";
  if (ready.status === "True") return "Running";
  return phaseOfReason(ready.reason);
}

function readyVerdict(
  performer: Performer,
  { pod, service, podProblem, serviceProblem }: ObservedChildren,
  podVerdicts: Verdict[],
  now: Date,
): Verdict {
  const name = performer.metadata.name!;
  const podName = performerChildName(name);
  if (performer.metadata.deletionTimestamp) {
    return notReady("Terminating", `Performer ${name} is being deleted`);
  }
  if (podProblem) return { status: "False", ...podProblem };
  if (serviceProblem) return { status: "False", ...serviceProblem };
  if (!pod) return notReady("PodNotCreated", `Pod ${podName} does not exist yet`);
  if (pod.metadata?.deletionTimestamp) {
    return notReady("PodTerminating", `Pod ${podName} is being deleted; a new one follows once it is gone`);
  }
  if (podCondition(pod, "Ready")?.status === "True") {
    if (!service) return notReady("ServiceNotCreated", `Service ${podName} does not exist yet`);
    const endpoint = performerEndpoint(name, performer.metadata.namespace!, grpcPortOf(performer.spec));
    return holds("Ready", `Performer serves gRPC at ${endpoint}`);
  }
  const failing = podVerdicts.find((v) => v.status === "False");
  if (failing) return failing;
  if (pod.status?.phase === "Failed") {
    return notReady(
      "PodFailed",
      `Pod ${podName} failed: ${pod.status.message ?? pod.status.reason ?? "no message"}`,
    );
  }
  const running = performerContainerStatus(pod)?.state?.running;
  if (running?.startedAt) {
    const probe = describeProbe(performer);
    const unreadyBecause = podCondition(pod, "Ready")?.message ?? "container not ready";
    if (now.getTime() < startupGraceEnd(performer, new Date(running.startedAt))) {
      return notReady("Starting", `waiting for the readiness probe (${probe}) to pass: ${unreadyBecause}`);
    }
    return notReady("ReadinessProbeFailed", `readiness probe (${probe}) is failing: ${unreadyBecause}`);
  }
  const waiting = podVerdicts.find((v) => v.status === "Unknown");
  if (waiting) return { status: "False", reason: waiting.reason, message: waiting.message };
  return notReady("ContainerNotStarted", `Pod ${podName} is starting`);
}

function scheduledVerdict(name: string, pod: V1Pod | undefined): Verdict {
  const podName = performerChildName(name);
  if (!pod) return unknown("PodNotCreated", `Pod ${podName} does not exist yet`);
  const condition = podCondition(pod, "PodScheduled");
  if (condition?.status === "True" || pod.spec?.nodeName) {
    const node = pod.spec?.nodeName ? ` to node ${pod.spec.nodeName}` : "";
    return holds("Scheduled", `Pod ${podName} is scheduled${node}`);
  }
  if (condition?.status === "False") {
    return {
      status: "False",
      reason: condition.reason ?? "Unschedulable",
      message: `Pod ${podName} cannot be scheduled: ${condition.message ?? "no reason given"}`,
    };
  }
  return unknown("WaitingForScheduler", `Pod ${podName} is waiting for the scheduler`);
}

function imageVerdict(pod: V1Pod | undefined): Verdict {
  const status = performerContainerStatus(pod);
  const image = pod?.spec?.containers.find((c) => c.name === PERFORMER_CONTAINER)?.image ?? "";
  const waiting = status?.state?.waiting;
  if (waiting?.reason && isImageReason(waiting.reason)) {
    return {
      status: "False",
      reason: waiting.reason,
      message: `image ${image} is not available: ${waiting.message ?? waiting.reason}`,
    };
  }
  if (status?.imageID || status?.state?.running || status?.state?.terminated) {
    return holds("ImagePresent", `image ${image} is on the node`);
  }
  return unknown("WaitingForNode", `image ${image} is not pulled yet`);
}

function containerVerdict(pod: V1Pod | undefined): Verdict {
  const status = performerContainerStatus(pod);
  const state = status?.state;
  if (state?.running) {
    return holds("Running", `container ${PERFORMER_CONTAINER} is running`);
  }
  const waiting = state?.waiting;
  if (waiting?.reason && !isImageReason(waiting.reason) && !isProgressReason(waiting.reason)) {
    const last = status?.lastState?.terminated;
    const lastExit = last
      ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}${last.message ? `: ${last.message}` : ""}`
      : "";
    return {
      status: "False",
      reason: waiting.reason,
      message: `container ${PERFORMER_CONTAINER}: ${waiting.message ?? waiting.reason}${lastExit}`,
    };
  }
  const terminated = state?.terminated;
  if (terminated) {
    return {
      status: "False",
      reason: "ContainerTerminated",
      message: `container ${PERFORMER_CONTAINER} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ""}${terminated.message ? `: ${terminated.message}` : ""}`,
    };
  }
  if (waiting?.reason) {
    return {
      status: "Unknown",
      reason: waiting.reason,
      message: `container ${PERFORMER_CONTAINER}: ${waiting.message ?? waiting.reason}`,
    };
  }
  return unknown("ContainerNotStarted", `container ${PERFORMER_CONTAINER} has not started`);
}

/** When the kubelet, probing since the container started, would have had its last chance to see it ready. */
function startupGraceEnd(performer: Performer, startedAt: Date): number {
  const health = healthCheckOf(performer.spec);
  const threshold = health.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  return startedAt.getTime() + (health.initialDelaySeconds + health.periodSeconds * threshold) * 1000;
}

function describeProbe(performer: Performer): string {
  const health = healthCheckOf(performer.spec);
  switch (health.type) {
    case "grpc":
      return `gRPC health on port ${grpcPortOf(performer.spec)}`;
    case "tcp":
      return `TCP connect to port ${health.port}`;
    default:
      return `HTTP GET ${health.path} on port ${health.port}`;
  }
}

function performerContainerStatus(pod: V1Pod | undefined): V1ContainerStatus | undefined {
  return pod?.status?.containerStatuses?.find((c) => c.name === PERFORMER_CONTAINER);
}

function podCondition(pod: V1Pod | undefined, type: string): V1PodCondition | undefined {
  return pod?.status?.conditions?.find((c) => c.type === type);
}

function holds(reason: PerformerReason, message: string): Verdict {
  return { status: "True", reason, message };
}

function notReady(reason: PerformerReason, message: string): Verdict {
  return { status: "False", reason, message };
}

function unknown(reason: PerformerReason, message: string): Verdict {
  return { status: "Unknown", reason, message };
}
