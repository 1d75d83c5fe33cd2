// The Performer's status vocabulary: its condition types, and every reason the controller writes into a condition
// or an Event, each with what it means. The table drives the phase (Ready's reason gives it), which waiting reasons
// of the kubelet count as progress or as an image problem, and which changes are a Warning Event. docs/performer.md
// documents each reason (test/unit/repo/docs.test.ts), and the troubleshooting guide quotes some: a reason is
// never renamed.
import type { PerformerPhase } from "./performer.ts";

/** The condition that says whether the performer serves; its reason gives the phase. */
export const CONDITION_READY = "Ready";
/** Whether the Pod is on a node (False with the scheduler's reason, e.g. Unschedulable). */
export const CONDITION_SCHEDULED = "Scheduled";
/** Whether the performer's image is on the node (False with the kubelet's pull error). */
export const CONDITION_IMAGE_AVAILABLE = "ImageAvailable";
/** Whether the performer's container runs (False with the kubelet's waiting reason or the exit). */
export const CONDITION_CONTAINER_RUNNING = "ContainerRunning";
/** Present, False, only while the operator lacks a permission it needs (reason MissingPermission). */
export const CONDITION_OPERATOR_PERMISSIONS = "OperatorPermissions";

/**
 * What a reason says:
 * - `ok`: a condition that holds (Ready=True gives phase Running);
 * - `progress`: not there yet, rather than wrong: phase Pending, no Warning Event;
 * - `problem`: something is wrong that may pass by itself or by a change elsewhere: phase Pending, a Warning;
 * - `unhealthy`: the performer runs but fails its readiness probe: phase Unhealthy, a Warning;
 * - `failed`: the kubelet keeps retrying, but it does not go away without a change by the Performer's author:
 *   phase Failed, a Warning;
 * - `event`: the reason of an Event about something the controller did, never of a condition.
 */
export type ReasonKind = "ok" | "progress" | "problem" | "unhealthy" | "failed" | "event";

/** A reason's kind, and whether it is the kubelet's word that the image cannot be had (ImageAvailable=False). */
export interface ReasonMeaning {
  kind: ReasonKind;
  image?: true;
}

const ok: ReasonMeaning = { kind: "ok" };
const progress: ReasonMeaning = { kind: "progress" };
const problem: ReasonMeaning = { kind: "problem" };
const failed: ReasonMeaning = { kind: "failed" };
const event: ReasonMeaning = { kind: "event" };

/** Every reason the controller writes, or reads from the kubelet and classifies. */
export const PERFORMER_REASONS = {
  // A condition that holds.
  Ready: ok,
  Scheduled: ok,
  ImagePresent: ok,
  Running: ok,
  // Not there yet. Some are the kubelet's waiting reasons (ContainerCreating, PodInitializing).
  PodNotCreated: progress,
  PodTerminating: progress,
  WaitingForPreviousPod: progress,
  WaitingForPreviousService: progress,
  ServiceNotCreated: progress,
  WaitingForScheduler: progress,
  WaitingForNode: progress,
  ContainerCreating: progress,
  PodInitializing: progress,
  ContainerNotStarted: progress,
  Starting: progress,
  Terminating: progress,
  // Wrong, but it can pass: a full node, a registry down, a quota, a missing permission.
  Unschedulable: problem,
  ErrImagePull: { kind: "problem", image: true },
  ImagePullBackOff: { kind: "problem", image: true },
  RegistryUnavailable: { kind: "problem", image: true },
  ImageInspectError: { kind: "problem", image: true },
  SignatureValidationFailed: { kind: "problem", image: true },
  PodForbidden: problem,
  ServiceForbidden: problem,
  MissingPermission: problem,
  // Running, not ready.
  ReadinessProbeFailed: { kind: "unhealthy" },
  // Needs a change by the Performer's author.
  CrashLoopBackOff: failed,
  InvalidImageName: { kind: "failed", image: true },
  ErrImageNeverPull: { kind: "failed", image: true },
  CreateContainerConfigError: failed,
  CreateContainerError: failed,
  RunContainerError: failed,
  PodFailed: failed,
  ContainerTerminated: failed,
  PodConflict: failed,
  ServiceConflict: failed,
  PodRejected: failed,
  ServiceRejected: failed,
  // What the controller did.
  CreatedPod: event,
  ReplacingPod: event,
  UpdatedService: event,
} as const satisfies Record<string, ReasonMeaning>;

/** A reason of the table. Conditions may also carry a reason of the kubelet or the scheduler that it lacks. */
export type PerformerReason = keyof typeof PERFORMER_REASONS;

/** A child of a Performer: its Pod or its Service. */
export type ChildKind = "Pod" | "Service";

/** The reasons for a child that cannot be brought to its desired state, by kind of child. */
export const CHILD_REASONS = {
  Pod: {
    waitingForPrevious: "WaitingForPreviousPod",
    conflict: "PodConflict",
    forbidden: "PodForbidden",
    rejected: "PodRejected",
  },
  Service: {
    waitingForPrevious: "WaitingForPreviousService",
    conflict: "ServiceConflict",
    forbidden: "ServiceForbidden",
    rejected: "ServiceRejected",
  },
} as const satisfies Record<ChildKind, Record<string, PerformerReason>>;

const PHASE_OF_KIND: Record<ReasonKind, PerformerPhase> = {
  ok: "Running",
  progress: "Pending",
  problem: "Pending",
  unhealthy: "Unhealthy",
  failed: "Failed",
  event: "Pending",
};

/** What `reason` means; a reason the table lacks (the kubelet's or the scheduler's own) is a problem. */
export function reasonMeaning(reason: string): ReasonMeaning {
  return Object.hasOwn(PERFORMER_REASONS, reason) ? PERFORMER_REASONS[reason as PerformerReason] : problem;
}

/** The phase of a Performer whose Ready condition is False or Unknown with `reason` (and that is not deleted). */
export function phaseOfReason(reason: string): PerformerPhase {
  return PHASE_OF_KIND[reasonMeaning(reason).kind];
}

/** Not there yet rather than wrong: no Warning Event, and a container waiting for it is Unknown, not False. */
export function isProgressReason(reason: string): boolean {
  return reasonMeaning(reason).kind === "progress";
}

/** The kubelet's word that the image cannot be had: ImageAvailable=False. */
export function isImageReason(reason: string): boolean {
  return reasonMeaning(reason).image === true;
}
