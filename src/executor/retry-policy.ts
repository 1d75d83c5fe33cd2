// Which performer failures the executor retries, and how long it waits between attempts. Only failures where the
// performer cannot have started the task are retried: running a task twice is the AVS's business to allow, not
// the executor's to assume.
import { status } from "@grpc/grpc-js";

/**
 * - UNAVAILABLE before a connection existed (grpc-js says "No connection established"): nothing was sent.
 * - RESOURCE_EXHAUSTED from the performer: it refused the task without running it.
 * Everything else (a dropped connection mid-call, a deadline, an error from the task itself) is answered as is.
 */
export function isSafeToRetry(code: status, details: string): boolean {
  if (code === status.UNAVAILABLE) return /No connection established/i.test(details);
  return code === status.RESOURCE_EXHAUSTED;
}
