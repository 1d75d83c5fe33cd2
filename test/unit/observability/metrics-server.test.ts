// The operator's plain-HTTP endpoints beside the webhooks: /metrics from the registry given, /healthz, and
// /readyz built from named checks that other parts of the process add.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Counter, Registry } from "prom-client";
import { Readiness, startMetricsServer } from "../../../src/observability/metrics-server.ts";

async function withServer(
  readiness: Readiness,
  registry: Registry,
  body: (get: (path: string) => Promise<{ status: number; text: string }>) => Promise<void>,
): Promise<void> {
  const server = await startMetricsServer({ host: "127.0.0.1", port: 0, registry, readiness });
  try {
    await body(async (path) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: res.status, text: await res.text() };
    });
  } finally {
    await server.close();
  }
}

test("/metrics serves the registry it was given", async () => {
  const registry = new Registry();
  new Counter({ name: "hourglass_test_things_total", help: "Things.", registers: [registry] }).inc(3);
  await withServer(new Readiness(), registry, async (get) => {
    const metrics = await get("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^hourglass_test_things_total 3$/m);
  });
});

test("/readyz is 503 naming each failing check until every check passes; /healthz stays 200", async () => {
  let synced = false;
  const readiness = new Readiness();
  readiness.add("webhook server", () => true);
  readiness.add("informers synced", () => synced);
  readiness.add("leader lease", async () => {
    throw new Error("lease not readable: forbidden");
  });
  await withServer(readiness, new Registry(), async (get) => {
    const notReady = await get("/readyz");
    assert.equal(notReady.status, 503);
    assert.match(notReady.text, /^\[\+\]webhook server ok$/m);
    assert.match(notReady.text, /^\[-\]informers synced failed: not ready$/m);
    assert.match(notReady.text, /^\[-\]leader lease failed: lease not readable: forbidden$/m);
    assert.equal((await get("/healthz")).status, 200);

    synced = true;
    readiness.add("leader lease", () => true);
    const ready = await get("/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.text, "ok\n");
    const verbose = await get("/readyz?verbose");
    assert.match(verbose.text, /^\[\+\]informers synced ok$/m);
    assert.match(verbose.text, /readyz check passed/);
  });
});

test("with no checks the process is ready", async () => {
  await withServer(new Readiness(), new Registry(), async (get) => {
    assert.equal((await get("/readyz")).status, 200);
  });
});
