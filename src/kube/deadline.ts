// The one way a call is bounded in time here: the call gets an AbortSignal that aborts when the deadline passes or
// when the caller's own signal does, so the request it made is cancelled, not left running behind a caller that
// has given up. The call is raced as well, so that the deadline holds even for one that ignores its signal.
import { type ConfigurationOptions, Observable, type RequestContext } from "@kubernetes/client-node";

/** A call that did not settle before its deadline. */
export class DeadlineError extends Error {
  override name = "DeadlineError";
  /** The deadline that passed. */
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super(`${what}: no answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A signal that aborts after `timeoutMs` (reason: a DeadlineError naming `what`) or when `parent` does. */
export interface Deadline {
  signal: AbortSignal;
  /** Stops the clock and lets go of `parent`: call it once the work is done. */
  clear(): void;
}

/** A Deadline for `what`: aborts after `timeoutMs`, or with `parent`'s reason when that aborts first. */
export function deadline(what: string, timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new DeadlineError(what, timeoutMs)), timeoutMs);
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}

/**
 * `call(signal)`, where `signal` aborts after `timeoutMs` or when `parent` aborts. It rejects with a DeadlineError
 * naming `what` when the deadline passes, with `parent`'s reason when that aborts first, else as the call settles.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  call: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  const { signal, clear } = deadline(what, timeoutMs, parent);
  try {
    return await abortable(call(signal), signal);
  } finally {
    clear();
  }
}

/**
 * `work`, or a rejection with `signal`'s reason as soon as it aborts: for work that cannot be cancelled itself
 * (a request in a shared JSON-RPC batch), so that its caller is released while the work runs out on its own.
 */
export async function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Options for a call of client-node's generated APIs that aborts its HTTP request with `signal`
 * (`api.readNamespacedLease({ name, namespace }, requestOptions(signal))`).
 */
export function requestOptions(signal: AbortSignal | undefined): ConfigurationOptions | undefined {
  if (!signal) return undefined;
  return {
    middleware: [
      {
        pre(context: RequestContext) {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}
