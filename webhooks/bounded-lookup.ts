// A lookup admission makes, bounded well inside the webhooks' 5 s timeout, so that a slow apiserver yields a clear
// "try again" instead of the apiserver giving up on the webhook. The request is cancelled at the deadline, and when
// the review's own caller goes away.
import type { ApiException } from "@kubernetes/client-node";
import { DeadlineError, withDeadline } from "../src/kube/deadline.ts";
import { AdmissionLookupError } from "./admission-facts.ts";

/** `call(signal)`, or an AdmissionLookupError saying what could not be done and why. */
export async function bounded<T>(
  what: string,
  timeoutMs: number,
  forbiddenHint: string,
  call: (signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  try {
    return await withDeadline(what, timeoutMs, call, signal);
  } catch (err) {
    if (err instanceof DeadlineError) {
      throw new AdmissionLookupError(`could not ${what}: no answer within ${timeoutMs / 1000}s`);
    }
    const code = (err as ApiException<unknown>).code;
    const hint = code === 403 ? ` (${forbiddenHint})` : "";
    throw new AdmissionLookupError(
      `could not ${what}: ${code ? `HTTP ${code}` : (err as Error).message}${hint}`,
    );
  }
}
