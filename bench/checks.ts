// A benchmark's verdicts: each measured ratio (or count) beside its target, and whether it holds. Pure, so that
// run.ts only collects and prints.

export interface Check {
  benchmark: string;
  /** What is compared, e.g. "validate c=16 throughput / baseline". */
  metric: string;
  value: number;
  /** The target as a reader states it, e.g. ">= 0.7". */
  target: string;
  holds: boolean;
}

export function atLeast(benchmark: string, metric: string, value: number, bound: number): Check {
  return { benchmark, metric, value, target: `>= ${bound}`, holds: value >= bound };
}

export function atMost(benchmark: string, metric: string, value: number, bound: number): Check {
  return { benchmark, metric, value, target: `<= ${bound}`, holds: value <= bound };
}

function formatValue(value: number): string {
  // A benchmark gives NaN for what it could not measure (make bench-scale past its budget).
  if (Number.isNaN(value)) return "not measured";
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
}

/** The summary as a Markdown table, one row per check. */
export function summaryTable(checks: readonly Check[]): string {
  const rows = checks.map(
    (c) =>
      `| ${c.benchmark} | ${c.metric} | ${formatValue(c.value)} | ${c.target} | ${c.holds ? "yes" : "NO"} |`,
  );
  return ["| benchmark | metric | value | target | holds |", "|---|---|---|---|---|", ...rows].join("\n");
}
