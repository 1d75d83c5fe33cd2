// ENABLE_PROFILING as the troubleshooting guide sets it, read by both programs; apart from profiling.ts so that
// reading the environment does not load the profiler.

/** `true` (any case) or `1` turn profiling on; anything else, or nothing, leaves it off. */
export function profilingEnabled(value: string | undefined): boolean {
  return value !== undefined && ["true", "1"].includes(value.trim().toLowerCase());
}
