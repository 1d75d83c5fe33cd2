// What a closed-loop load run measured: completed requests per second and latency percentiles, from the raw
// per-request latencies (milliseconds, sub-millisecond resolution: loopback latencies are often below 1 ms).

export interface LoadStats {
  concurrency: number;
  durationS: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests answered over the whole run, warm-up included: what a server's CPU time is divided by. */
  answeredInAll?: number;
  /** Executor load: tasks the load process signed while sending, past those it signed ahead. */
  signedDuringLoad?: number;
}

/** The value below which `fraction` of the sorted samples fall (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function loadStats(
  latenciesMs: readonly number[],
  errors: number,
  concurrency: number,
  durationS: number,
): LoadStats {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    concurrency,
    durationS,
    requests: sorted.length,
    errors,
    requestsPerSecond: sorted.length / durationS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** One round of a subject against its baseline under the same load. */
export interface Round {
  subject: LoadStats;
  baseline: LoadStats;
}

/**
 * Runs `rounds` rounds, alternating which side goes first so that neither always meets the machine warmer or
 * busier; a ratio is then taken per round and the median kept.
 */
export async function alternatingRounds(
  rounds: number,
  subject: () => Promise<LoadStats>,
  baseline: () => Promise<LoadStats>,
): Promise<Round[]> {
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      const b = await baseline();
      results.push({ baseline: b, subject: await subject() });
    } else {
      const s = await subject();
      results.push({ subject: s, baseline: await baseline() });
    }
  }
  return results;
}

/** The median over rounds of subject / baseline for one statistic. */
export function medianRatio(rounds: readonly Round[], of: (stats: LoadStats) => number): number {
  return median(rounds.map((r) => of(r.subject) / of(r.baseline)));
}
