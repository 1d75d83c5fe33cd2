// A performer's route: what a new one knows, and that its channel closes only after the tasks on it have answered.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PerformerRoute } from "../../../src/executor/performer-registry.ts";
import { closeWhenIdle, openRoute } from "../../../src/executor/performer-route.ts";

const FIELDS = {
  performerId: "performer-avs",
  avsAddress: "0x1111111111111111111111111111111111111111",
  artifactRegistry: "registry.example/avs",
  artifactDigest: "v1",
  containerId: "",
  endpoint: "127.0.0.1:1",
  maxInFlight: 3,
  maxQueued: 5,
};

function opened(extra: Partial<Parameters<typeof openRoute>[0]> = {}): PerformerRoute {
  const route = openRoute({ ...FIELDS, ...extra });
  // The channel connects lazily; closing it here keeps the test from holding a handle.
  route.connection.close();
  return route;
}

test("a new route's health is unknown, its limits are maxInFlight and maxQueued, and its fields are kept", () => {
  const route = opened();
  assert.deepEqual(route.health, {
    status: "UNKNOWN",
    resourceHealthy: false,
    applicationHealthy: false,
    lastHealthCheck: "",
  });
  assert.equal(route.limiter.limit, 3);
  assert.equal(route.limiter.maxQueued, 5);
  assert.equal(route.performerId, "performer-avs");
  assert.equal(route.artifactRegistry, "registry.example/avs");
  assert.equal("endpoint" in route, false);
});

test("health a caller already knows (a Performer's phase) replaces the unknowns it names", () => {
  const route = opened({ health: { status: "Running", resourceHealthy: true } });
  assert.deepEqual(route.health, {
    status: "Running",
    resourceHealthy: true,
    applicationHealthy: false,
    lastHealthCheck: "",
  });
});

test("closeWhenIdle closes the channel only after the last task in flight has answered", async () => {
  let closed = 0;
  const route: PerformerRoute = {
    ...opened(),
    connection: {
      endpoint: FIELDS.endpoint,
      executeTask: () => Promise.reject(new Error("not called")),
      healthCheck: () => Promise.reject(new Error("not called")),
      close: () => {
        closed++;
      },
    },
  };
  const signal = new AbortController().signal;
  const first = await route.limiter.acquire(signal);
  const second = await route.limiter.acquire(signal);
  const closing = closeWhenIdle(route);
  first();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(closed, 0, "closed while a task was still in flight");
  second();
  await closing;
  assert.equal(closed, 1);
});
