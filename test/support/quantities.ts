// What the quantity tests compare quantities by.
import type { Quantity } from "../../src/api/quantity.ts";

/** The exact value in nano-units, the unit Kubernetes rounds to. */
export function nanos(q: Quantity): bigint {
  return q.mantissa * 10n ** BigInt(q.exponent + 9);
}

/** The largest int64, where Kubernetes caps binary (Ki, Mi, …) quantities. */
export const MAX_INT64 = 2n ** 63n - 1n;
