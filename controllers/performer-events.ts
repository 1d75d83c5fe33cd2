// Which Events a status change deserves. Events are for transitions a person should hear about, so they come
// from comparing the status before and after, never from the status alone: a resync that changes nothing emits
// nothing.
import type { PerformerCondition, PerformerStatus } from "../src/api/performer.ts";
import { CONDITION_READY, PROGRESS_REASONS } from "./performer-status.ts";

export interface PerformerEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

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

function changed(previous: PerformerCondition | undefined, current: PerformerCondition): boolean {
  return !previous || previous.status !== current.status || previous.reason !== current.reason;
}

function eventFor(condition: PerformerCondition): PerformerEvent | undefined {
  if (condition.type === CONDITION_READY && condition.status === "True") {
    return { type: "Normal", reason: "Ready", message: condition.message };
  }
  if (condition.status === "False" && !PROGRESS_REASONS.has(condition.reason)) {
    return { type: "Warning", reason: condition.reason, message: condition.message };
  }
  return undefined;
}
