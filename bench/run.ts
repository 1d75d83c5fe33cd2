// `make bench`: every benchmark in turn, each against a baseline measured in the same run (the machine is noisy,
// so only ratios are compared with targets). Writes bench/results/<name>.json and bench/results/summary.md, and
// prints the summary table. BENCH_ONLY=admission,admission-apiserver,routing,chain-signing,reconcile picks some
// (their summary goes to summary-<names>.md);
// BENCH_PERFORMERS sets N and BENCH_ROUNDS the rounds of the reconcile benchmark (500 and 3).
// `make bench-scale` (argument `scale`): reconcile at 500, 2,000 and 5,000 Performers within 570 s altogether
// (BENCH_SCALE_BUDGET_S), sizes it could not finish reported as not measured, into bench/results/scale.json and
// bench/results/summary-scale.md. BENCH_CPU_PROF_DIR=DIR writes a CPU profile of each controller run there.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { admissionBenchmark } from "./admission.ts";
import { admissionApiserverBenchmark } from "./admission-apiserver.ts";
import { chainSigningBenchmark } from "./chain-signing.ts";
import { type Check, summaryTable } from "./checks.ts";
import { reconcileBenchmark, scaleBenchmark } from "./reconcile.ts";
import { routingBenchmark } from "./routing.ts";

const RESULTS = join(import.meta.dirname, "results");

interface Benchmark {
  name: string;
  run(): Promise<{ checks: Check[]; notes?: string[] }>;
}

const BENCHMARKS: Benchmark[] = [
  { name: "admission", run: () => admissionBenchmark(3, 2000) },
  { name: "admission-apiserver", run: () => admissionApiserverBenchmark(400) },
  { name: "routing", run: () => routingBenchmark(3, 1500) },
  { name: "chain-signing", run: () => chainSigningBenchmark(400) },
  {
    name: "reconcile",
    run: () =>
      reconcileBenchmark(Number(process.env.BENCH_PERFORMERS ?? 500), Number(process.env.BENCH_ROUNDS ?? 3)),
  },
];

/** make bench-scale's whole budget; BENCH_SCALE_BUDGET_S changes it. It stops by itself when it is spent. */
const SCALE_BUDGET_S = Number(process.env.BENCH_SCALE_BUDGET_S ?? 570);
/** BENCH_SCALE_SIZES=500,2000 measures other sizes (the first and the last are compared). */
const SCALE_SIZES = (process.env.BENCH_SCALE_SIZES ?? "500,2000,5000").split(",").map(Number);
const SCALE: Benchmark[] = [{ name: "scale", run: () => scaleBenchmark(SCALE_SIZES, SCALE_BUDGET_S * 1000) }];

async function main(): Promise<void> {
  const scale = process.argv[2] === "scale";
  const only = process.env.BENCH_ONLY?.split(",");
  await mkdir(RESULTS, { recursive: true });
  const checks: Check[] = [];
  // Other work on the machine skews both sides of a ratio alike only roughly; say how busy it was.
  const notes: string[] = [`- load average at the start: ${loadavg()[0]!.toFixed(2)}`];
  for (const benchmark of (scale ? SCALE : BENCHMARKS).filter((b) => !only || only.includes(b.name))) {
    const started = Date.now();
    process.stderr.write(`bench: ${benchmark.name}…\n`);
    const result = await benchmark.run();
    await writeFile(join(RESULTS, `${benchmark.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(
      `bench: ${benchmark.name} done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
    checks.push(...result.checks);
    notes.push(...(result.notes ?? []).map((n) => `- ${benchmark.name}: ${n}`));
  }
  const summary = [
    `# Benchmark summary (${new Date().toISOString()}, ${cpus().length} CPUs, Node ${process.version})`,
    "",
    summaryTable(checks),
    "",
    ...notes,
    `- load average at the end: ${loadavg()[0]!.toFixed(2)}`,
  ].join("\n");
  // A partial run (BENCH_ONLY) keeps its own summary, so that summary.md stays the last whole make bench.
  const name = scale ? "summary-scale.md" : only ? `summary-${only.join("+")}.md` : "summary.md";
  await writeFile(join(RESULTS, name), `${summary}\n`);
  process.stdout.write(`${summary}\n`);
}

await main();
