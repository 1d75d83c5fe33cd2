// Admission under load: the operator's webhook server (the operator CLI, webhooks only, no cluster) against a
// fastify HTTPS baseline with the same certificate answering a constant "allowed", each driven by a load process
// of its own at concurrency 1, 16 and 64 with realistic AdmissionReviews from test/fixtures/admission/.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OPERATOR_NODE_FLAGS, OPERATOR_NODE_OPTIONS } from "../src/cli/operator-node-options.ts";
import { ensurePki } from "../test/controlplane/pki.ts";
import { startNodeProcess, type TestProcess } from "../test/support/grpc-processes.ts";
import { WEBHOOK_PATHS } from "../webhooks/hourglass-webhooks.ts";
import { atLeast, atMost, type Check } from "./checks.ts";
import { loadResult } from "./load-process.ts";
import { alternatingRounds, type LoadStats, median, medianRatio, type Round } from "./load-stats.ts";

const CONCURRENCIES = [1, 16, 64] as const;
const WARM_UP_MS = 3_000;
const FIXTURES = join(import.meta.dirname, "..", "test", "fixtures", "admission");
/** Each path with the review it is sent: one to validate, one the mutating webhook has to default. */
const ENDPOINTS = [
  { name: "validate", path: WEBHOOK_PATHS.validatePerformer, fixture: "performer-complete-create.json" },
  { name: "mutate", path: WEBHOOK_PATHS.mutatePerformer, fixture: "performer-minimal-create.json" },
] as const;

export interface AdmissionRun {
  endpoint: string;
  concurrency: number;
  /** Each round's stats: `subject` is the operator. */
  rounds: Round[];
  throughputRatio: number;
  p99Ratio: number;
}

export interface AdmissionResult {
  roundsPerRun: number;
  durationMsPerRound: number;
  runs: AdmissionRun[];
  checks: Check[];
  notes: string[];
}

async function portOf(proc: TestProcess, msg: string): Promise<number> {
  return (await proc.waitForLog((l) => l.msg === msg)).port as number;
}

function load(
  port: number,
  path: string,
  fixture: string,
  ca: string,
  concurrency: number,
  durationMs: number,
) {
  return loadResult([
    "bench/https-load.ts",
    `--url=https://127.0.0.1:${port}${path}`,
    `--body=${join(FIXTURES, fixture)}`,
    `--ca=${ca}`,
    `--concurrency=${concurrency}`,
    `--duration-ms=${durationMs}`,
  ]);
}

export async function admissionBenchmark(
  rounds: number,
  durationMsPerRound: number,
): Promise<AdmissionResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-admission-"));
  const pki = await ensurePki(join(dir, "pki"));
  const operator = startNodeProcess(
    [
      ...OPERATOR_NODE_FLAGS,
      "src/cli/operator.ts",
      "--no-controller",
      "--webhook-host=127.0.0.1",
      "--webhook-port=0",
      `--webhook-cert-dir=${pki.webhookCertDir}`,
      "--metrics-host=127.0.0.1",
      "--metrics-port=0",
    ],
    { NODE_OPTIONS: OPERATOR_NODE_OPTIONS },
  );
  const baseline = startNodeProcess([
    "bench/admission-baseline-server.ts",
    `--cert-dir=${pki.webhookCertDir}`,
  ]);
  try {
    const ports = {
      operator: await portOf(operator, "serving admission webhooks"),
      baseline: await portOf(baseline, "listening"),
    };
    // A webhook server in a cluster has long been warm: before anything is measured, each server answers every
    // endpoint under load for a while, so that the first runs do not time V8 still compiling the handlers.
    for (const endpoint of ENDPOINTS) {
      for (const port of [ports.operator, ports.baseline]) {
        await load(port, endpoint.path, endpoint.fixture, pki.caCert, 16, WARM_UP_MS);
      }
    }
    const runs: AdmissionRun[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const concurrency of CONCURRENCIES) {
        // One side at a time: the two servers never compete for the machine's two cores.
        const against = (port: number) => () =>
          load(port, endpoint.path, endpoint.fixture, pki.caCert, concurrency, durationMsPerRound);
        const measured = await alternatingRounds(rounds, against(ports.operator), against(ports.baseline));
        runs.push({
          endpoint: endpoint.name,
          concurrency,
          rounds: measured,
          throughputRatio: medianRatio(measured, (s) => s.requestsPerSecond),
          p99Ratio: medianRatio(measured, (s) => s.p99Ms),
        });
      }
    }
    return {
      roundsPerRun: rounds,
      durationMsPerRound,
      runs,
      checks: runs.flatMap(admissionChecks),
      notes: [
        `each ratio is the median of ${rounds} rounds of ${durationMsPerRound / 1000} s, alternating which server goes first, after both servers answered each endpoint for ${WARM_UP_MS / 1000} s at concurrency 16`,
        ...runs.map(admissionNote),
      ],
    };
  } finally {
    await Promise.all([operator.stop(), baseline.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

function admissionNote(run: AdmissionRun): string {
  const side = (name: string, pick: (r: Round) => LoadStats) =>
    `${name} ${median(run.rounds.map((r) => pick(r).requestsPerSecond)).toFixed(0)} req/s, p50 ${median(run.rounds.map((r) => pick(r).p50Ms)).toFixed(2)} ms, p99 ${median(run.rounds.map((r) => pick(r).p99Ms)).toFixed(2)} ms`;
  return `${run.endpoint} c=${run.concurrency} (medians): ${side("operator", (r) => r.subject)}; ${side("baseline", (r) => r.baseline)}`;
}

function admissionChecks(run: AdmissionRun): Check[] {
  const label = `${run.endpoint} c=${run.concurrency}`;
  const failed = run.rounds.reduce((sum, r) => sum + r.subject.errors + r.baseline.errors, 0);
  return [
    atLeast("admission", `${label} req/s ratio`, run.throughputRatio, 0.7),
    atMost("admission", `${label} p99 ratio`, run.p99Ratio, 1.5),
    ...(failed > 0 ? [atMost("admission", `${label} failed requests`, failed, 0)] : []),
  ];
}
