import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { dockerPerformerManager } from "../../../src/executor/docker-performers.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { AvsSettings } from "../../../src/executor/settings.ts";
import { createLogger } from "../../../src/observability/logger.ts";

const log = createLogger("test", { level: "silent" });
const noEngine = () => {
  throw new Error("no engine in this test");
};
function manage(registry: PerformerRegistry, avs: AvsSettings[], maxInFlight: number) {
  return dockerPerformerManager({
    registry,
    settings: { avs, performer: { ...PERFORMER, maxInFlight } },
    engine: noEngine,
    log,
  });
}
const PERFORMER = {
  servicePattern: "",
  defaultPort: 9090,
  taskTimeoutMs: 1000,
  startupTimeoutMs: 1000,
  retryAttempts: 1,
  maxPerformers: 10,
  maxInFlight: 1,
  maxQueued: 0,
};
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
    const manager = manage(registry, AVS, 4);
    t.after(() => manager.shutdown());
    await manager.start();
    const one = registry.routeFor(AVS[0]!.address)!;
    assert.equal(one.performerId, "performer-one");
    assert.equal(one.connection.endpoint, "127.0.0.1:1");
    assert.deepEqual([one.artifactRegistry, one.artifactDigest], ["img", "v1"]);
    assert.equal(one.limiter.limit, 4);
    assert.equal(registry.routeFor(AVS[1]!.address)?.performerId, `performer-${AVS[1]!.address}`);
  });

  it("requires an image or an endpoint per AVS, naming the entry, before asking any engine", async () => {
    const manager = manage(new PerformerRegistry(), [AVS[1]!, { address: AVS[0]!.address }], 1);
    await assert.rejects(
      manager.start(),
      /avs_config\.supported_avs\[1\]: docker mode needs performer_image/,
    );
  });

  it("removes a performer by id, and says NOT_FOUND for an unknown one", async (t) => {
    const registry = new PerformerRegistry();
    const manager = manage(registry, AVS, 1);
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

  it("refuses DeployArtifact for an AVS whose performer runs elsewhere", async () => {
    const manager = manage(new PerformerRegistry(), AVS, 1);
    await manager.start();
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
        error.code === status.FAILED_PRECONDITION && /run elsewhere at its endpoint/.test(error.details),
    );
  });
});
