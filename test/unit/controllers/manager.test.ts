// The controller's worker loop: how each reconcile outcome is counted (controller-runtime's result labels) and
// when the key comes back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { reconcileMetrics } from "../../../controllers/controller-metrics.ts";
import { CONTROLLER_NAME, keepingWhatTheCacheKeeps, work } from "../../../controllers/manager.ts";
import { type Reconcile, RequeueError } from "../../../controllers/performer.ts";
import type { PerformerCluster } from "../../../controllers/performer-cluster.ts";
import { WorkQueue } from "../../../src/kube/workqueue.ts";

/** Runs one worker over the keys, each reconciled by `outcomes[key]`, then shuts the queue down. */
async function run(
  outcomes: Record<string, Reconcile>,
  logger = pino({ level: "silent" }),
  reconcileTimeoutMs?: number,
) {
  const registry = new Registry();
  const queue = new WorkQueue({ name: "performer", registry, baseDelayMs: 60_000 });
  const reconciled: string[] = [];
  const worker = work(
    queue,
    async (key, signal) => {
      reconciled.push(key);
      return outcomes[key]!(key, signal);
    },
    reconcileMetrics(registry, CONTROLLER_NAME),
    logger,
    reconcileTimeoutMs,
  );
  for (const key of Object.keys(outcomes)) queue.add(key);
  while (reconciled.length < Object.keys(outcomes).length) await new Promise((r) => setImmediate(r));
  const waiting = { failures: Object.keys(outcomes).map((key) => queue.failures(key)) };
  await queue.shutDown();
  await worker;
  const total = (await registry.getMetricsAsJSON()).find((m) => m.name === "hourglass_reconcile_total")!;
  const counts = Object.fromEntries(
    (total.values as { value: number; labels: Record<string, string> }[]).map((v) => [
      v.labels.result,
      v.value,
    ]),
  );
  return { counts, ...waiting };
}

test("each outcome is counted under controller-runtime's result label, and only failures back off", async () => {
  const { counts, failures } = await run({
    "ns/done": async () => ({}),
    "ns/later": async () => ({ requeueAfterMs: 60_000 }),
    "ns/conflict": async () => {
      throw new RequeueError("the Performer changed meanwhile");
    },
    "ns/broken": async () => {
      throw new Error("apiserver unavailable");
    },
  });
  assert.deepEqual(counts, { success: 1, requeue_after: 1, requeue: 1, error: 1 });
  // done and later succeeded (their backoff is forgotten); conflict and broken come back with backoff.
  assert.deepEqual(failures, [0, 0, 1, 1]);
});

test("LOG_LEVEL=debug: one line per reconcile with the Performer and its outcome", async () => {
  const lines: { level: number; msg: string; performer?: string; result?: string }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  await run(
    {
      "ns/done": async () => ({}),
      "ns/broken": async () => {
        throw new Error("apiserver unavailable");
      },
    },
    logger,
  );
  const reconciled = lines.filter((l) => l.msg === "reconciled");
  assert.deepEqual(
    reconciled.map((l) => [l.level, l.performer, l.result]),
    [
      [20, "ns/done", "success"],
      [20, "ns/broken", "error"],
    ],
  );
});

test("a reconcile past its timeout has its signal aborted, and fails naming the timeout", async () => {
  const lines: { msg: string; performer?: string; reconcileId?: string; err?: { message: string } }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  let seen: AbortSignal | undefined;
  const { counts } = await run(
    {
      "ns/slow": (_key, signal) => {
        seen = signal;
        // A write that ends only when it is cancelled, as client-node's request does.
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
      "ns/fast": async () => ({}),
    },
    logger,
    30,
  );
  assert.equal(seen?.aborted, true);
  assert.deepEqual(counts, { success: 1, error: 1, requeue: 0, requeue_after: 0 });
  const failed = lines.find((l) => l.msg === "reconcile failed");
  assert.equal(failed?.performer, "ns/slow");
  assert.equal(failed?.err?.message, "reconcile ns/slow: no answer within 30 ms");
  // Each reconcile's lines carry one id of their own.
  const ids = (key: string) => new Set(lines.filter((l) => l.performer === key).map((l) => l.reconcileId));
  assert.equal(ids("ns/slow").size, 1);
  assert.equal(ids("ns/fast").size, 1);
  assert.notDeepEqual([...ids("ns/slow")], [...ids("ns/fast")]);
});

test("the cluster whose answers are reduced as the caches reduce them passes each write's signal on", async () => {
  const heard: string[] = [];
  const signal = new AbortController().signal;
  const answer = async (call: string, given: AbortSignal) => {
    heard.push(`${call} ${given === signal ? "with" : "without"} the signal`);
    return { metadata: { name: "performer-a", namespace: "ns", uid: "u" } };
  };
  const writes: Pick<PerformerCluster, "createPod" | "createService" | "patchService"> = {
    createPod: (_pod, given) => answer("createPod", given),
    createService: (_service, given) => answer("createService", given),
    patchService: (_existing, _desired, given) => answer("patchService", given),
  };
  const cluster = keepingWhatTheCacheKeeps(writes as PerformerCluster);
  await cluster.createPod({}, signal);
  await cluster.createService({}, signal);
  await cluster.patchService({}, {}, signal);
  assert.deepEqual(heard, [
    "createPod with the signal",
    "createService with the signal",
    "patchService with the signal",
  ]);
});
