// `make soak`: the fault suite, bounded (about 8 minutes on 2 cores) and stopping by itself. Each part prints its
// figures as it ends; the table at the end collects them. Exits 1 when anything was lost or failed.
//   hostile admission load at 16 callers for 3 minutes (a bounded stand-in for a 10-minute run) → RSS slope
//   certificate renewed every second under admission load → 0 failed reviews
//   operator SIGKILLed 10 times during 200 Performer operations; kube-apiserver and etcd killed under load
//     → converges, 0 duplicate Pods, 0 lost updates, 0 leftover Pods
import { admissionMemory } from "./admission-memory.ts";
import { certificateRotation } from "./certificate-rotation.ts";
import { controllerFaults } from "./controller-faults.ts";

const LOAD_MS = Number(process.env.SOAK_LOAD_MS ?? 180_000);
/** RSS growth per minute, over the load's second half, above which memory is taken to accumulate. */
const MAX_RSS_SLOPE_MIB_PER_MIN = 20;

const rows: string[][] = [["part", "load held", "faults survived", "bad inputs tried", "nothing lost", "ok"]];
let failed = false;
const row = (cells: string[], ok: boolean) => {
  rows.push([...cells, ok ? "yes" : "NO"]);
  failed ||= !ok;
};

const memory = await admissionMemory(LOAD_MS, 30_000);
process.stdout.write(`admission memory: ${JSON.stringify(memory)}\n`);
row(
  [
    "hostile admission load",
    `${memory.requests} reviews in ${memory.durationS} s at c=${memory.concurrency}`,
    "-",
    Object.keys(memory.byBody).join(", "),
    `${memory.failedRequests} failed; RSS ${memory.baselineRssMiB.toFixed(0)} → peak ${memory.peakRssMiB.toFixed(0)} → ${memory.rssAfterIdleMiB.toFixed(0)} MiB after 30 s idle, slope ${memory.rssSlopeMiBPerMin.toFixed(1)} MiB/min; V8 heap used ${memory.heapUsedBaselineMiB.toFixed(0)} → ${memory.heapUsedAfterIdleMiB.toFixed(0)}, total ${memory.heapTotalBaselineMiB.toFixed(0)} → ${memory.heapTotalAfterIdleMiB.toFixed(0)}, external ${memory.externalAfterIdleMiB.toFixed(0)} MiB`,
  ],
  memory.failedRequests === 0 && memory.rssSlopeMiBPerMin <= MAX_RSS_SLOPE_MIB_PER_MIN,
);

const rotation = await certificateRotation(30_000);
process.stdout.write(`certificate rotation: ${JSON.stringify(rotation)}\n`);
row(
  [
    "certificate rotation",
    `${rotation.requests} reviews, a handshake each, c=${rotation.concurrency}`,
    `${rotation.rotations} renewals (1/s)`,
    "-",
    `${rotation.failedRequests} failed, p99 ${rotation.p99Ms.toFixed(0)} ms`,
  ],
  rotation.failedRequests === 0,
);

for (const phase of await controllerFaults()) {
  process.stdout.write(`${phase.phase}: ${JSON.stringify(phase)}\n`);
  row(
    [
      phase.phase,
      `${phase.operations} creates/updates/deletes (${phase.retries} refused tries retried)`,
      phase.faults,
      "-",
      `converged in ${phase.convergedS.toFixed(1)} s: ${phase.performers} Performers, ${phase.duplicatePods} duplicate Pods, ${phase.lostUpdates} lost updates, ${phase.leftoverPods} leftover Pods`,
    ],
    Number.isFinite(phase.convergedS) && phase.duplicatePods + phase.lostUpdates + phase.leftoverPods === 0,
  );
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const [i, r] of rows.entries()) {
  process.stdout.write(`| ${r.map((c, j) => c.padEnd(widths[j]!)).join(" | ")} |\n`);
  if (i === 0) process.stdout.write(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |\n`);
}
process.exit(failed ? 1 : 0);
