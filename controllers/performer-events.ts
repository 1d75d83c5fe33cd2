// Every Event the controller records, and its wording. Events of status changes are for transitions a person should
// hear about, so they come from comparing the status before and after, never from the status alone: a resync that
// changes nothing emits nothing. The others say what the controller did to a Performer's children.
import type { PerformerCondition, PerformerStatus } from "../src/api/performer.ts";
import { CONDITION_READY, isProgressReason, type PerformerReason } from "../src/api/performer-conditions.ts";
import type { PodReplacement } from "./performer-pod.ts";

/** An Event on a Performer; its reason is a condition's (which may be the kubelet's) or one of the table's. */
export interface PerformerEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** The Events that a change of status from `before` to `after` deserves: one per cause. */
export function statusTransitionEvents(
  before: PerformerStatus | undefined,
  after: PerformerStatus,
): PerformerEvent[] {
  const events: PerformerEvent[] = [];
  const seen = new Set<string>();
  for (const condition of after.conditions ?? []) {
    const previous = before?.conditions?.find((c) => c.type === condition.type);
    if (!changed(previous, condition)) continue;
    const event = eventFor(condition);
    // Ready repeats the cause found by another condition; one Event per cause is enough.
    const dedupeKey = event && `${event.reason}\n${event.message}`;
    if (event && dedupeKey && !seen.has(dedupeKey)) {
      seen.add(dedupeKey);
      events.push(event);
    }
  }
  return events;
}

/** The Pod `pod` was created (as a ReplicaSet's SuccessfulCreate, so that a new Performer is seen at work). */
export function createdPodEvent(pod: string): PerformerEvent {
  return normal("CreatedPod", `Created Pod ${pod}`);
}

/** The Service `service` drifted from the spec and was patched back. */
export function updatedServiceEvent(service: string): PerformerEvent {
  return normal("UpdatedService", `Service ${service} updated to match the spec`);
}

/** The Pod `pod` is deleted so that it is created again, for the reason `replacement` gives. */
export function replacingPodEvent(pod: string | undefined, replacement: PodReplacement): PerformerEvent {
  if (replacement.cause === "specChanged") {
    const { have, want } = replacement;
    return normal(
      "ReplacingPod",
      `Spec changed (hash ${have ?? "none"} → ${want}): deleting Pod ${pod} to recreate it`,
    );
  }
  const { phase, why } = replacement;
  return warning("ReplacingPod", `Pod ${pod} has ended (${phase}, ${why}): deleting it to recreate it`);
}

function changed(previous: PerformerCondition | undefined, current: PerformerCondition): boolean {
  return !previous || previous.status !== current.status || previous.reason !== current.reason;
}

function eventFor(condition: PerformerCondition): PerformerEvent | undefined {
  if (condition.type === CONDITION_READY && condition.status === "True") {
    return normal("Ready", condition.message);
  }
  if (condition.status === "False" && !isProgressReason(condition.reason)) {
    return { type: "Warning", reason: condition.reason, message: condition.message };
  }
  return undefined;
}

function normal(reason: PerformerReason, message: string): PerformerEvent {
  return { type: "Normal", reason, message };
}

function warning(reason: PerformerReason, message: string): PerformerEvent {
  return { type: "Warning", reason, message };
}
