// Calls to the apiserver that do not give up at the first hiccup: a call the apiserver cannot serve yet is repeated
// within a budget, while one it refuses fails at once. Each call is bounded in time by deadline.ts.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { errorLogFields, isConflict, isNotFound, isRejected } from "./api-errors.ts";
import { exponentialDelayMs, jittered } from "./backoff.ts";

/**
 * How long to wait before attempt `failures + 1`, or undefined to give up: a refusal (invalid, forbidden, not
 * found, already exists) would only be refused again; past the budget there is no time left for another try.
 */
export function retryDelayMs(
  error: unknown,
  failures: number,
  remainingMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (isRejected(error) || isNotFound(error) || isConflict(error)) return undefined;
  const delay = jittered(exponentialDelayMs(failures, 200, 5_000), 0.5, random);
  return delay > remainingMs ? undefined : delay;
}

/** How long a call to the apiserver is repeated while it cannot be served, and what ends the repeats. */
export interface PersistOptions {
  /** How long the attempts may take together. */
  budgetMs: number;
  /** Aborted: the wait before the next attempt ends at once, and that attempt's failure is final. */
  signal: AbortSignal;
  log: Logger;
  random?: () => number;
}

/**
 * `work`, repeated while the apiserver cannot serve it yet (a CRD just installed answers 503 "storage is
 * (re)initializing"; a timeout; a dropped connection), within the budget. A refusal is thrown at once.
 */
export async function persistently<T>(
  what: string,
  work: () => Promise<T>,
  options: PersistOptions,
): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let failures = 1; ; failures++) {
    try {
      return await work();
    } catch (error) {
      const delay = retryDelayMs(error, failures, deadline - Date.now(), options.random);
      if (delay === undefined || options.signal.aborted) throw error;
      options.log.warn(
        { ...errorLogFields(error), retryInMs: Math.round(delay) },
        `${what} failed; retrying`,
      );
      await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}
