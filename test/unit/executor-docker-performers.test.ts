import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { dockerPerformerManager } from "../../src/executor/docker-performers.ts";
import { PerformerRegistry } from "../../src/executor/performer-registry.ts";
import { createLogger } from "../../src/observability/logger.ts";

const log = createLogger("test", { level: "silent" });
const AVS = [
  {
    address: "0x1111111111111111111111111111111111111111",
    name: "one",
    endpoint: "127.0.0.1:1",
    performerImage: "img",
    performerVersion: "v1",
  },
  { address: "0x2222222222222222222222222222222222222222", endpoint: "127.0.0.1:2" },
];

describe("docker-mode performers", () => {
  it("routes each AVS to its configured endpoint", async (t) => {
    const registry = new PerformerRegistry();
    const manager = dockerPerformerManager({
      registry,
      avs: AVS,
      limits: { maxInFlight: 4, maxQueued: 0 },
      log,
    });
    t.after(() => manager.shutdown());
    await manager.start();
    const one = registry.routeFor(AVS[0]!.address)!;
    assert.equal(one.performerId, "performer-one");
    assert.equal(one.connection.endpoint, "127.0.0.1:1");
    assert.deepEqual([one.artifactRegistry, one.artifactDigest], ["img", "v1"]);
    assert.equal(one.limiter.limit, 4);
    assert.equal(registry.routeFor(AVS[1]!.address)?.performerId, `performer-${AVS[1]!.address}`);
  });

  it("requires an endpoint per AVS, naming the field", async () => {
    const manager = dockerPerformerManager({
      registry: new PerformerRegistry(),
      avs: [{ address: AVS[0]!.address }],
      limits: { maxInFlight: 1, maxQueued: 0 },
      log,
    });
    await assert.rejects(
      manager.start(),
      /avs_config\.supported_avs\[0\]\.endpoint: required in docker mode/,
    );
  });

  it("removes a performer by id, and says NOT_FOUND for an unknown one", async (t) => {
    const registry = new PerformerRegistry();
    const manager = dockerPerformerManager({
      registry,
      avs: AVS,
      limits: { maxInFlight: 1, maxQueued: 0 },
      log,
    });
    t.after(() => manager.shutdown());
    await manager.start();
    const removed = await manager.removePerformer({ performer_id: "performer-one" });
    assert.equal(removed.success, true);
    assert.equal(registry.routeFor(AVS[0]!.address), undefined);
    await assert.rejects(
      manager.removePerformer({ performer_id: "performer-one" }),
      (error: { code: number; details: string }) => {
        assert.equal(error.code, status.NOT_FOUND);
        assert.match(error.details, /^performer_id: /);
        return true;
      },
    );
  });

  it("refuses DeployArtifact: the performers are deployed outside the executor", async () => {
    const manager = dockerPerformerManager({
      registry: new PerformerRegistry(),
      avs: AVS,
      limits: { maxInFlight: 1, maxQueued: 0 },
      log,
    });
    await assert.rejects(
      manager.deployArtifact({
        avs_address: AVS[0]!.address,
        digest: "sha256:00",
        registry_url: "r",
        env: [],
        kubernetes: null,
        auth: null,
      }),
      (error: { code: number; details: string }) =>
        error.code === status.FAILED_PRECONDITION && /kubernetes/.test(error.details),
    );
  });
});
