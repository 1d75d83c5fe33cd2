// Waiting for something that happens elsewhere (a controller, a process, an informer) without a fixed sleep.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Checked after each miss: a message ends the wait at once with it (e.g. the process under test exited). */
  abortIf?: () => string | undefined;
}

/** Polls `probe` until it returns something other than undefined; fails naming `what` when time runs out. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 50, abortIf }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const aborted = abortIf?.();
    if (aborted !== undefined) assert.fail(`${aborted} (while waiting for ${what})`);
    if (Date.now() > deadline) assert.fail(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** `eventually` for a synchronous condition, polled often: for fakes in unit tests. */
export async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  await eventually(what, async () => (condition() ? true : undefined), { timeoutMs, intervalMs: 2 });
}
