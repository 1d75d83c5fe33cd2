import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { InFlightLimiter } from "../../../src/executor/in-flight-limiter.ts";
import { checkPerformers } from "../../../src/executor/performer-health-monitor.ts";
import { PerformerRegistry, type PerformerRoute } from "../../../src/executor/performer-registry.ts";
import { statusError } from "../../../src/grpc/status.ts";

function routeAnswering(id: string, answer: "SERVING" | "NOT_SERVING" | "unreachable"): PerformerRoute {
  return {
    performerId: id,
    avsAddress: `0x${id.padStart(40, "0")}`,
    artifactRegistry: "",
    artifactDigest: "",
    containerId: "",
    connection: {
      endpoint: `${id}:9090`,
      executeTask: async () => assert.fail("not called"),
      healthCheck: async () => {
        if (answer === "unreachable") throw statusError(status.UNAVAILABLE, "No connection established");
        return { status: answer };
      },
      close() {},
    },
    limiter: new InFlightLimiter(1),
    health: { status: "Running", resourceHealthy: true, applicationHealthy: false, lastHealthCheck: "" },
  };
}

function registryOf(...routes: PerformerRoute[]): PerformerRegistry {
  const registry = new PerformerRegistry();
  for (const route of routes) registry.add(route);
  return registry;
}

describe("checkPerformers", () => {
  it("reports the performer's grpc.health.v1 status in docker mode", async () => {
    const registry = registryOf(
      routeAnswering("a", "SERVING"),
      routeAnswering("b", "NOT_SERVING"),
      routeAnswering("c", "unreachable"),
    );
    await checkPerformers(registry, { intervalMs: 1, timeoutMs: 1_000, reportsStatus: true });
    const health = Object.fromEntries(registry.list().map((r) => [r.performerId, r.health]));
    assert.deepEqual(
      [health.a!.status, health.a!.applicationHealthy, health.a!.resourceHealthy],
      ["SERVING", true, true],
    );
    assert.deepEqual([health.b!.status, health.b!.applicationHealthy], ["NOT_SERVING", false]);
    assert.deepEqual(
      [health.c!.status, health.c!.applicationHealthy, health.c!.resourceHealthy],
      ["UNREACHABLE", false, false],
    );
    for (const h of Object.values(health)) assert.ok(!Number.isNaN(Date.parse(h.lastHealthCheck)));
  });

  it("leaves the Performer's phase as the status in kubernetes mode", async () => {
    const registry = registryOf(routeAnswering("a", "SERVING"));
    await checkPerformers(registry, { intervalMs: 1, timeoutMs: 1_000, reportsStatus: false });
    const [route] = registry.list();
    assert.equal(route!.health.status, "Running");
    assert.equal(route!.health.applicationHealthy, true);
  });

  it("keeps why a check failed, and forgets it once the performer answers SERVING", async () => {
    const down = routeAnswering("d", "unreachable");
    const registry = registryOf(down, routeAnswering("n", "NOT_SERVING"));
    await checkPerformers(registry, { intervalMs: 1, timeoutMs: 1_000, reportsStatus: true });
    const problems = Object.fromEntries(registry.list().map((r) => [r.performerId, r.health.problem]));
    assert.match(problems.d ?? "", /No connection established/);
    assert.equal(problems.n, "grpc.health.v1 answered NOT_SERVING");
    down.connection.healthCheck = async () => ({ status: "SERVING" });
    await checkPerformers(registry, { intervalMs: 1, timeoutMs: 1_000, reportsStatus: true });
    assert.equal(down.health.problem, undefined);
  });
});
