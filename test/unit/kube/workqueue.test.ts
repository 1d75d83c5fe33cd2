import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Registry } from "prom-client";
import { exponentialDelayMs, jittered } from "../../../src/kube/backoff.ts";
import { WorkQueue } from "../../../src/kube/workqueue.ts";

function queue(options: { baseDelayMs?: number; maxDelayMs?: number } = {}) {
  const registry = new Registry();
  return { registry, q: new WorkQueue({ name: "performer", registry, ...options }) };
}

async function metric(registry: Registry, name: string): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  assert.ok(found, `metric ${name} is not registered`);
  const values = found.values as { value: number; metricName?: string; labels: Record<string, string> }[];
  // A histogram: its _count; otherwise the single series.
  const series = values.find((v) => v.metricName === `${name}_count`) ?? values[0];
  return series?.value ?? 0;
}

describe("WorkQueue", () => {
  test("a key added many times is handed out once", async () => {
    const { q, registry } = queue();
    q.add("ns/a");
    q.add("ns/b");
    q.add("ns/a");
    q.add("ns/a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "ns/a");
    assert.equal(await q.get(), "ns/b");
    assert.equal(q.len(), 0);
    assert.equal(await metric(registry, "hourglass_workqueue_adds_total"), 2);
    assert.equal(await metric(registry, "hourglass_workqueue_depth"), 0);
  });

  test("depth counts queued keys", async () => {
    const { q, registry } = queue();
    q.add("a");
    q.add("b");
    q.add("c");
    assert.equal(await metric(registry, "hourglass_workqueue_depth"), 3);
  });

  test("a key being processed is not handed to a second worker; re-added meanwhile, it returns after done", async () => {
    const { q, registry } = queue();
    q.add("ns/a");
    const first = await q.get();
    assert.equal(first, "ns/a");
    q.add("ns/a");
    // A second worker waits: the only key is held by the first.
    let second: string | undefined | null = null;
    const secondGet = q.get().then((k) => {
      second = k;
    });
    await sleep(5);
    assert.equal(second, null);
    q.done("ns/a");
    await secondGet;
    assert.equal(second, "ns/a");
    q.done("ns/a");
    assert.equal(q.len(), 0);
    assert.equal(await metric(registry, "hourglass_workqueue_work_duration_seconds"), 2);
  });

  test("a key not re-added while processed is not queued again", async () => {
    const { q } = queue();
    q.add("a");
    await q.get();
    q.done("a");
    assert.equal(q.len(), 0);
  });

  test("many workers, many adds: never two workers on one key at once", async () => {
    const { q } = queue();
    const busy = new Set<string>();
    const processed: string[] = [];
    let overlaps = 0;
    const worker = async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (busy.has(key)) overlaps++;
        busy.add(key);
        await sleep(1);
        busy.delete(key);
        processed.push(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    for (let round = 0; round < 20; round++) {
      for (const key of ["a", "b", "c"]) q.add(key);
      await sleep(0);
    }
    while (q.len() > 0) await sleep(2);
    await q.shutDown();
    await Promise.all(workers);
    assert.equal(overlaps, 0);
    for (const key of ["a", "b", "c"]) assert.ok(processed.includes(key));
  });

  test("per-key backoff doubles from 5 ms, is capped, and resets on forget", () => {
    const { q } = queue();
    assert.equal(q.backoffMs("k"), 0);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      q.addRateLimited("k");
      seen.push(q.backoffMs("k"));
    }
    assert.deepEqual(seen, [5, 10, 20, 40, 80]);
    assert.equal(q.backoffMs("other"), 0);
    q.forget("k");
    assert.equal(q.failures("k"), 0);
    assert.equal(q.backoffMs("k"), 0);
    void q.shutDown();
  });

  test("the backoff ceiling is 1000 s", () => {
    assert.equal(exponentialDelayMs(30, 5, 1_000_000), 1_000_000);
    assert.equal(exponentialDelayMs(1_000, 5, 1_000_000), 1_000_000);
    assert.equal(exponentialDelayMs(18, 5, 1_000_000), 655_360);
  });

  test("a rate-limited key comes back after its delay and counts as a retry", async () => {
    const { q, registry } = queue({ baseDelayMs: 20 });
    q.addRateLimited("k");
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), "k");
    assert.equal(await metric(registry, "hourglass_workqueue_retries_total"), 1);
    q.done("k");
    await q.shutDown();
  });

  test("shutDown hands waiting workers undefined and waits for keys in progress", async () => {
    const { q } = queue();
    q.add("a");
    const held = await q.get();
    const idle = q.get();
    let drained = false;
    const shut = q.shutDown().then(() => {
      drained = true;
    });
    assert.equal(await idle, undefined);
    await sleep(5);
    assert.equal(drained, false);
    q.done(held!);
    await shut;
    assert.equal(drained, true);
    q.add("b");
    assert.equal(await q.get(), undefined);
  });
});

test("jitter stretches a delay by at most its factor", () => {
  assert.equal(
    jittered(1000, 0.5, () => 0),
    1000,
  );
  assert.equal(
    jittered(1000, 0.5, () => 0.999),
    1499.5,
  );
});

test("of two delays pending for one key, the earlier is kept", async () => {
  const { q } = queue();
  q.addAfter("k", 600_000);
  q.addAfter("k", 10);
  assert.equal(await q.get(), "k");
  q.done("k");
  await q.shutDown();
});
