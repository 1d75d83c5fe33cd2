// What a Performer's status says, from what the cluster reports about its Pod and Service. Pure: `now` is an
// argument, and the previous status (performer.status) only supplies lastTransitionTime of unchanged conditions.
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1Service } from "@kubernetes/client-node";
import {
  grpcPortOf,
  type Performer,
  type PerformerCondition,
  type PerformerPhase,
  type PerformerStatus,
  performerChildName,
  performerEndpoint,
} from "../src/api/performer.ts";
import { healthCheckOf } from "./performer-defaults.ts";
import { PERFORMER_CONTAINER } from "./performer-pod.ts";

/** Why a child could not be brought to its desired state: refused by the apiserver, or owned by someone else. */
export interface ChildProblem {
  reason: string;
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

export const CONDITION_READY = "Ready";
export const CONDITION_SCHEDULED = "Scheduled";
export const CONDITION_IMAGE_AVAILABLE = "ImageAvailable";
export const CONDITION_CONTAINER_RUNNING = "ContainerRunning";
/** Present, False, only while the operator lacks a permission it needs (reason MissingPermission). */
export const CONDITION_OPERATOR_PERMISSIONS = "OperatorPermissions";

/** Reasons that mean "not there yet" rather than "something is wrong": no Warning Event, phase Pending. */
export const PROGRESS_REASONS: ReadonlySet<string> = new Set([
  "PodNotCreated",
  "PodTerminating",
  "WaitingForPreviousPod",
  "WaitingForPreviousService",
  "ServiceNotCreated",
  "WaitingForScheduler",
  "WaitingForNode",
  "ContainerCreating",
  "PodInitializing",
  "ContainerNotStarted",
  "Starting",
  "Terminating",
]);

/** The kubelet keeps retrying these, but they do not go away without a change by the Performer's author. */
const FAILED_REASONS: ReadonlySet<string> = new Set([
  "CrashLoopBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "PodFailed",
  "ContainerTerminated",
  "PodConflict",
  "ServiceConflict",
  "PodRejected",
  "ServiceRejected",
]);

const IMAGE_REASONS: ReadonlySet<string> = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
  "ImageInspectError",
  "SignatureValidationFailed",
]);

/** The kubelet's default failureThreshold, used when the health check does not give one. */
const DEFAULT_FAILURE_THRESHOLD = 3;

type Verdict = Omit<PerformerCondition, "type" | "lastTransitionTime" | "observedGeneration">;

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
  return {
    status: "False",
    reason: "MissingPermission",
    message: `the operator may not ${missing.join(", ")}; add these rules to ClusterRole hourglass-operator (the operator's log has each rule to paste), then nothing needs restarting`,
  };
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
  if (FAILED_REASONS.has(ready.reason)) return "Failed";
  if (ready.reason === "ReadinessProbeFailed") return "Unhealthy";
  return "Pending";
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
    return { status: "True", reason: "Ready", message: `Performer serves gRPC at ${endpoint}` };
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
  return notReady(waiting?.reason ?? "ContainerNotStarted", waiting?.message ?? `Pod ${podName} is starting`);
}

function scheduledVerdict(name: string, pod: V1Pod | undefined): Verdict {
  const podName = performerChildName(name);
  if (!pod) return unknown("PodNotCreated", `Pod ${podName} does not exist yet`);
  const condition = podCondition(pod, "PodScheduled");
  if (condition?.status === "True" || pod.spec?.nodeName) {
    const node = pod.spec?.nodeName ? ` to node ${pod.spec.nodeName}` : "";
    return { status: "True", reason: "Scheduled", message: `Pod ${podName} is scheduled${node}` };
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
  if (waiting?.reason && IMAGE_REASONS.has(waiting.reason)) {
    return {
      status: "False",
      reason: waiting.reason,
      message: `image ${image} is not available: ${waiting.message ?? waiting.reason}`,
    };
  }
  if (status?.imageID || status?.state?.running || status?.state?.terminated) {
    return { status: "True", reason: "ImagePresent", message: `image ${image} is on the node` };
  }
  return unknown("WaitingForNode", `image ${image} is not pulled yet`);
}

function containerVerdict(pod: V1Pod | undefined): Verdict {
  const status = performerContainerStatus(pod);
  const state = status?.state;
  if (state?.running) {
    return { status: "True", reason: "Running", message: `container ${PERFORMER_CONTAINER} is running` };
  }
  const waiting = state?.waiting;
  if (waiting?.reason && !IMAGE_REASONS.has(waiting.reason) && !PROGRESS_REASONS.has(waiting.reason)) {
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
    return unknown(waiting.reason, `container ${PERFORMER_CONTAINER}: ${waiting.message ?? waiting.reason}`);
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

function notReady(reason: string, message: string): Verdict {
  return { status: "False", reason, message };
}

function unknown(reason: string, message: string): Verdict {
  return { status: "Unknown", reason, message };
}
