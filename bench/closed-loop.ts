// A closed-loop load generator: `concurrency` callers each send the next request as soon as the previous one is
// answered. A warm-up period (connections, JIT) is run first and not counted.
import { performance } from "node:perf_hooks";
import { type LoadStats, loadStats } from "./load-stats.ts";

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** One request; rejects on failure. */
  send(): Promise<unknown>;
}

export async function closedLoop(options: ClosedLoopOptions): Promise<LoadStats> {
  const latencies: number[] = [];
  let errors = 0;
  let answeredInAll = 0;
  const start = performance.now();
  const measureFrom = start + options.warmupMs;
  const end = measureFrom + options.durationMs;
  const caller = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      const ok = await options.send().then(
        () => true,
        () => false,
      );
      // Only requests sent and answered inside the measured window count.
      const answered = performance.now();
      answeredInAll++;
      if (sent < measureFrom || answered > end) continue;
      if (ok) latencies.push(answered - sent);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  return {
    ...loadStats(latencies, errors, options.concurrency, options.durationMs / 1000),
    answeredInAll,
  };
}
