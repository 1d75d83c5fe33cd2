// Histograms and counters read from a Prometheus text exposition (an apiserver's or the operator's /metrics), so
// that a benchmark can take the difference between a reading before and one after what it measures. Pure.

/** A histogram's `_sum` and `_count`, added over the series read. */
export interface HistogramTotals {
  seconds: number;
  count: number;
}

/** The labels of one series, from the text between its braces. */
export function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** The values of `name`'s series whose labels include every label of `match`, added up. */
export function seriesTotal(text: string, name: string, match: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const parsed = /^\S+?(?:\{(.*)\})? (\S+)/.exec(line);
    if (!parsed) continue;
    const labels = labelsOf(parsed[1] ?? "");
    if (Object.entries(match).every(([key, value]) => labels[key] === value)) total += Number(parsed[2]);
  }
  return total;
}

/** The `_sum` and `_count` of histogram `name`, over its series that include every label of `match`. */
export function histogramTotals(text: string, name: string, match: Record<string, string>): HistogramTotals {
  return {
    seconds: seriesTotal(text, `${name}_sum`, match),
    count: seriesTotal(text, `${name}_count`, match),
  };
}

/** What a histogram observed between two readings: milliseconds per observation, and how many there were. */
export function perObservation(
  before: HistogramTotals,
  after: HistogramTotals,
): { ms: number; count: number } {
  const count = after.count - before.count;
  return { ms: count > 0 ? (1000 * (after.seconds - before.seconds)) / count : Number.NaN, count };
}
