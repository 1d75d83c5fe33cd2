import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PerformerHealth, PerformerRoute } from "../../../src/executor/performer-registry.ts";
import { readinessReport } from "../../../src/executor/readiness-report.ts";

const A = "0xAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa";
const B = "0x00000000000000000000000000000000000000bb";

function route(id: string, health: Partial<PerformerHealth>): PerformerRoute {
  return {
    performerId: id,
    connection: { endpoint: `performer-${id}.ns.svc.cluster.local:9090` },
    health: {
      status: "Running",
      resourceHealthy: true,
      applicationHealthy: false,
      lastHealthCheck: "",
      ...health,
    },
  } as PerformerRoute;
}

function registry(routes: Record<string, PerformerRoute>) {
  return { routeFor: (avs: string) => routes[avs] };
}

const checked = "2026-12-02T06:00:00.000Z";
const base = { stopping: false, started: true, avs: [{ address: A }, { address: B }] };

describe("readinessReport", () => {
  it("is ready when every AVS has a routed performer that answered its last check", () => {
    const report = readinessReport({
      ...base,
      registry: registry({
        [A]: route("a", { applicationHealthy: true, lastHealthCheck: checked }),
        // Just routed, not checked yet: it was found ready, so it counts as reachable.
        [B]: route("b", {}),
      }),
    });
    assert.deepEqual(report, { ready: true, stopping: false, performers: { [A]: "a", [B]: "b" } });
  });

  it("is not ready while a routed performer fails its health check, and says where it was dialled", () => {
    const report = readinessReport({
      ...base,
      registry: registry({
        [A]: route("a", { lastHealthCheck: checked, problem: "14 UNAVAILABLE: connect ECONNREFUSED" }),
        [B]: route("b", { applicationHealthy: true, lastHealthCheck: checked }),
      }),
    });
    assert.equal(report.ready, false);
    assert.deepEqual(report.unreachable, {
      [A]: {
        performer: "a",
        endpoint: "performer-a.ns.svc.cluster.local:9090",
        problem: "14 UNAVAILABLE: connect ECONNREFUSED",
      },
    });
  });

  it("is not ready before the performers started, with an AVS unrouted, while stopping, or with the chain down", () => {
    const healthy = { applicationHealthy: true, lastHealthCheck: checked };
    const both = registry({ [A]: route("a", healthy), [B]: route("b", healthy) });
    assert.equal(readinessReport({ ...base, started: false, registry: both }).ready, false);
    const missing = readinessReport({ ...base, registry: registry({ [A]: route("a", healthy) }) });
    assert.deepEqual([missing.ready, missing.performers[B]], [false, null]);
    const stopping = readinessReport({ ...base, stopping: true, registry: both });
    assert.deepEqual([stopping.ready, stopping.stopping], [false, true]);
    const chain = { ready: false, rpcUrl: "http://127.0.0.1:8545" };
    const down = readinessReport({ ...base, registry: both, chain });
    assert.deepEqual([down.ready, down.chain], [false, chain]);
    assert.equal(readinessReport({ ...base, registry: both, chain: { ready: true } }).ready, true);
  });
});
