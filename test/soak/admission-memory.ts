// Admission under hostile load, for memory: the operator's webhook server (the operator CLI, webhooks only, no
// cluster) answers the mix of hostile-reviews.ts at 16 callers for a bounded time while its resident set is
// sampled; then it idles, to see what it gives back. Prints peak RSS, RSS after the idle period, and the slope of
// RSS during the load's second half (flat means nothing accumulates per request).
//   node test/soak/admission-memory.ts [--duration-ms=60000] [--idle-ms=15000]
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { loadResult } from "../../bench/load-process.ts";
import type { LoadStats } from "../../bench/load-stats.ts";
import { OPERATOR_NODE_FLAGS, OPERATOR_NODE_OPTIONS } from "../../src/cli/operator-node-options.ts";
import { ensurePki } from "../controlplane/pki.ts";
import { startNodeProcess } from "../support/grpc-processes.ts";
import { writeLoadBodies } from "./hostile-reviews.ts";

export interface MemoryFigures {
  durationS: number;
  concurrency: number;
  requests: number;
  failedRequests: number;
  byBody: Record<string, { requests: number; errors: number; p99Ms: number }>;
  baselineRssMiB: number;
  peakRssMiB: number;
  /** MiB per minute, least squares over the second half of the load. */
  rssSlopeMiBPerMin: number;
  rssAfterIdleMiB: number;
  /** From the operator's /metrics before the load and after the idle period: what of the RSS is V8's heap (used,
   * and reserved: total), and what lives outside it (external). A leak shows as heap used that stays up; V8's
   * reserve as heap total above used, which V8 gives back only under memory pressure. */
  heapUsedBaselineMiB: number;
  heapTotalBaselineMiB: number;
  heapUsedAfterIdleMiB: number;
  heapTotalAfterIdleMiB: number;
  externalAfterIdleMiB: number;
}

async function gauges(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) / 2 ** 20;
  return {
    heapUsed: value("nodejs_heap_size_used_bytes"),
    heapTotal: value("nodejs_heap_size_total_bytes"),
    external: value("nodejs_external_memory_bytes"),
  };
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
}

/** Least-squares slope of (seconds, MiB) samples, in MiB per minute. */
export function slopePerMinute(samples: readonly [number, number][]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const meanT = samples.reduce((s, [t]) => s + t, 0) / n;
  const meanM = samples.reduce((s, [, m]) => s + m, 0) / n;
  const covariance = samples.reduce((s, [t, m]) => s + (t - meanT) * (m - meanM), 0);
  const variance = samples.reduce((s, [t]) => s + (t - meanT) ** 2, 0);
  return variance === 0 ? 0 : (covariance / variance) * 60;
}

export async function admissionMemory(durationMs: number, idleMs: number): Promise<MemoryFigures> {
  const dir = await mkdtemp(join(tmpdir(), "soak-admission-"));
  const pki = await ensurePki(join(dir, "pki"));
  const bodies = writeLoadBodies(dir);
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
    // As the Deployment runs it (config/manager/manager.yaml).
    { LOG_LEVEL: "info", NODE_OPTIONS: OPERATOR_NODE_OPTIONS },
  );
  try {
    const port = (await operator.waitForLog((l) => l.msg === "serving admission webhooks")).port as number;
    const metricsPort = (await operator.waitForLog((l) => l.msg === "serving /metrics, /healthz and /readyz"))
      .metricsPort as number;
    const pid = operator.child.pid!;
    await sleep(1_000);
    const baselineRssMiB = rssMiB(pid);
    const before = await gauges(metricsPort);
    const samples: [number, number][] = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push([(Date.now() - started) / 1000, rssMiB(pid)]), 500);
    let results: LoadStats[];
    try {
      results = await Promise.all(
        bodies.map((b) =>
          loadResult([
            "bench/https-load.ts",
            `--url=https://127.0.0.1:${port}${b.path}`,
            `--body=${b.file}`,
            `--ca=${pki.caCert}`,
            `--concurrency=${b.concurrency}`,
            "--warmup-ms=0",
            `--duration-ms=${durationMs}`,
          ]),
        ),
      );
    } finally {
      clearInterval(sampler);
    }
    const peakRssMiB = Math.max(baselineRssMiB, ...samples.map(([, m]) => m));
    const secondHalf = samples.filter(([t]) => t >= durationMs / 2000);
    await sleep(idleMs);
    const rssAfterIdleMiB = rssMiB(pid);
    const after = await gauges(metricsPort);
    const byBody = Object.fromEntries(
      bodies.map((b, i) => [
        b.name,
        { requests: results[i]!.requests, errors: results[i]!.errors, p99Ms: results[i]!.p99Ms },
      ]),
    );
    return {
      durationS: durationMs / 1000,
      concurrency: bodies.reduce((s, b) => s + b.concurrency, 0),
      requests: results.reduce((s, r) => s + r.requests, 0),
      failedRequests: results.reduce((s, r) => s + r.errors, 0),
      byBody,
      baselineRssMiB,
      peakRssMiB,
      rssSlopeMiBPerMin: slopePerMinute(secondHalf),
      rssAfterIdleMiB,
      heapUsedBaselineMiB: before.heapUsed!,
      heapTotalBaselineMiB: before.heapTotal!,
      heapUsedAfterIdleMiB: after.heapUsed!,
      heapTotalAfterIdleMiB: after.heapTotal!,
      externalAfterIdleMiB: after.external!,
    };
  } finally {
    await operator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      "duration-ms": { type: "string", default: "60000" },
      "idle-ms": { type: "string", default: "15000" },
    },
  });
  const figures = await admissionMemory(Number(values["duration-ms"]), Number(values["idle-ms"]));
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
