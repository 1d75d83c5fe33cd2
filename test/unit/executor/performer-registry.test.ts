import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlightLimiter } from "../../../src/executor/in-flight-limiter.ts";
import {
  PerformerRegistry,
  type PerformerRoute,
  performerInfo,
} from "../../../src/executor/performer-registry.ts";

const AVS = "0xAAAAaaaaAAAAaaaaAAAAaaaaAAAAaaaaAAAAaaaa";

function route(performerId: string, avsAddress = AVS): PerformerRoute {
  return {
    performerId,
    avsAddress,
    artifactRegistry: "ghcr.io/org/performer",
    artifactDigest: "sha256:ab",
    containerId: `pod-${performerId}`,
    connection: {
      endpoint: "x:1",
      executeTask: async () => assert.fail(),
      healthCheck: async () => assert.fail(),
      close() {},
    },
    limiter: new InFlightLimiter(1),
    health: {
      status: "Running",
      resourceHealthy: true,
      applicationHealthy: true,
      lastHealthCheck: "2026-01-01T00:00:00Z",
    },
  };
}

describe("PerformerRegistry", () => {
  it("routes an AVS (in any letter case) only once a performer is activated", () => {
    const registry = new PerformerRegistry();
    registry.add(route("blue"));
    assert.equal(registry.routeFor(AVS), undefined);
    assert.equal(registry.activate("blue"), undefined);
    assert.equal(registry.routeFor(AVS.toLowerCase())?.performerId, "blue");
  });

  it("moves traffic on activate and hands back the previous performer", () => {
    const registry = new PerformerRegistry();
    registry.add(route("blue"));
    registry.activate("blue");
    registry.add(route("green"));
    assert.equal(registry.activate("green")?.performerId, "blue");
    assert.equal(registry.routeFor(AVS)?.performerId, "green");
    assert.equal(registry.isActive("blue"), false);
    assert.deepEqual(
      registry.list().map((r) => r.performerId),
      ["blue", "green"],
    );
  });

  it("leaves the AVS without a route when its active performer is removed", () => {
    const registry = new PerformerRegistry();
    registry.add(route("blue"));
    registry.activate("blue");
    assert.equal(registry.remove("blue")?.performerId, "blue");
    assert.equal(registry.routeFor(AVS), undefined);
    assert.equal(registry.remove("blue"), undefined);
  });

  it("filters the listing by AVS and refuses duplicate ids", () => {
    const registry = new PerformerRegistry();
    registry.add(route("a"));
    registry.add(route("b", "0x1111111111111111111111111111111111111111"));
    assert.deepEqual(
      registry.list(AVS.toLowerCase()).map((r) => r.performerId),
      ["a"],
    );
    assert.throws(() => registry.add(route("a")), /already registered/);
    assert.throws(() => registry.activate("nope"), /not registered/);
  });

  it("describes a performer in ListPerformers' fields", () => {
    assert.deepEqual(performerInfo(route("blue")), {
      performer_id: "blue",
      avs_address: AVS,
      status: "Running",
      artifact_registry: "ghcr.io/org/performer",
      artifact_digest: "sha256:ab",
      resource_healthy: true,
      application_healthy: true,
      last_health_check: "2026-01-01T00:00:00Z",
      container_id: "pod-blue",
      artifact_tag: "",
    });
  });
});
