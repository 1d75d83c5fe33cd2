// Delays for retrying: per-failure exponential growth with a ceiling, optionally jittered so that many clients
// failing together (an apiserver restart) do not come back together.

/** base · 2^(failures-1), at most max; 0 for no failures. */
export function exponentialDelayMs(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  // Past 2^60 the product is beyond any ceiling anyway; capping the exponent keeps it finite.
  return Math.min(baseMs * 2 ** Math.min(failures - 1, 60), maxMs);
}

/** `delay` stretched by up to `factor` (0.5 → between delay and 1.5 · delay), `random` in [0, 1). */
export function jittered(delayMs: number, factor: number, random: () => number = Math.random): number {
  return delayMs * (1 + factor * random());
}
