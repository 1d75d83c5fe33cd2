// JSON with object keys sorted, so that equal objects serialize equally whatever order their keys were built or
// decoded in: the basis of spec hashes and of "did the status change" checks.
/** JSON with every object's keys sorted, so that equal objects give equal text (spec hashes, change checks). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) sorted[key] = sortKeys(v);
  }
  return sorted;
}

/** A value as JSON.stringify would write it, for the leaves jsonEqual compares. */
function leaf(value: unknown, inArray: boolean): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (inArray && (value === undefined || typeof value === "function")) return null;
  return value;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || typeof value === "function";
}

function equal(a: unknown, b: unknown, inArray: boolean): boolean {
  const x = leaf(a, inArray);
  const y = leaf(b, inArray);
  if (x === y) return true;
  if (x === null || y === null || typeof x !== "object" || typeof y !== "object") return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) {
    const other = y as unknown[];
    return x.length === other.length && x.every((item, i) => equal(item, other[i], true));
  }
  const left = x as Record<string, unknown>;
  const right = y as Record<string, unknown>;
  let present = 0;
  for (const key of Object.keys(left)) {
    if (isAbsent(left[key])) continue;
    present++;
    if (!Object.hasOwn(right, key) || !equal(left[key], right[key], false)) return false;
  }
  for (const key of Object.keys(right)) if (!isAbsent(right[key])) present--;
  return present === 0;
}

/**
 * Equality of two JSON values as canonicalJson would print them (key order and keys whose value is undefined
 * ignored, Dates as their ISO text), without building either text: the reconciler asks it of every status on
 * every pass, a resync of thousands of Performers included.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return equal(a, b, false);
}
