import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { dockerPerformerManager } from "../../../src/executor/docker-performers.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { AvsSettings } from "../../../src/executor/settings.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { until } from "../../support/eventually.ts";
import { FakeDockerEngine } from "../../support/fake-docker-engine.ts";

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

const IMAGE = "localhost/avs/performer";
const MANAGED: AvsSettings = {
  address: "0x3333333333333333333333333333333333333333",
  performerImage: IMAGE,
  performerVersion: "v1",
  envs: [
    { name: "CHAIN", value: "local" },
    { name: "SECRET", valueFromEnv: "EXECUTOR_SECRET" },
  ],
};
const OTHER: AvsSettings = {
  address: "0x4444444444444444444444444444444444444444",
  performerImage: `${IMAGE}-other`,
};
const DIGEST = "sha256:00000000000000000000000000000000000000000000000000000000000000aa";

/** A manager of containers on a fake engine; `serving` decides which endpoints answer SERVING. */
function managed(
  engine: FakeDockerEngine,
  options: {
    avs?: AvsSettings[];
    network?: string;
    serving?: (endpoint: string) => boolean;
    watchMs?: number;
    log?: typeof log;
  } = {},
) {
  const registry = new PerformerRegistry();
  const manager = dockerPerformerManager({
    registry,
    settings: {
      avs: options.avs ?? [MANAGED],
      performer: { ...PERFORMER, startupTimeoutMs: 2_000 },
      ...(options.network ? { performerNetworkName: options.network } : {}),
    },
    engine: () => engine,
    log: options.log ?? log,
    healthStatus: async (endpoint) =>
      (options.serving ?? (() => true))(endpoint) ? "SERVING" : "NOT_SERVING",
    watchIntervalMs: options.watchMs ?? 60_000,
    env: { EXECUTOR_SECRET: "s3cret" },
  });
  return { registry, manager };
}

/** The engine's requests without the repeated inspects of health waits and watches. */
const lifecycle = (engine: FakeDockerEngine) =>
  engine.calls.filter((call, i, all) => !(call.startsWith("inspect ") && all[i - 1] === call));

const deployRequest = (avs: string) => ({
  avs_address: avs,
  registry_url: IMAGE,
  digest: DIGEST,
  env: [],
  kubernetes: null,
  auth: null,
});

describe("docker-mode performer containers on an engine", () => {
  it("finds the image, makes the network, creates, starts and inspects the container, then routes to its address on the network", async (t) => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    const { registry, manager } = managed(engine, { network: "hourglass-network" });
    t.after(() => manager.shutdown());
    await manager.start();
    assert.deepEqual(lifecycle(engine).slice(0, 5), [
      `ensureImage ${IMAGE}:v1`,
      "ensureNetwork hourglass-network",
      `create ${engine.containers.get("c1")!.options.name}`,
      "start c1",
      "inspect c1",
    ]);
    const container = engine.containers.get("c1")!;
    assert.equal(container.options.HostConfig?.NetworkMode, "hourglass-network");
    assert.deepEqual(Object.keys(container.options.NetworkingConfig?.EndpointsConfig ?? {}), [
      "hourglass-network",
    ]);
    assert.deepEqual(container.options.Env, ["PERFORMER_GRPC_PORT=9090", "CHAIN=local", "SECRET=s3cret"]);
    const route = registry.routeFor(MANAGED.address)!;
    assert.equal(route.connection.endpoint, "198.18.16.2:9090");
    assert.equal(route.containerId, "c1");
  });

  it("without performerNetworkName leaves the container on the engine's default network and dials its published port", async (t) => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    const { registry, manager } = managed(engine);
    t.after(() => manager.shutdown());
    await manager.start();
    assert.ok(!engine.calls.some((c) => c.startsWith("ensureNetwork")), engine.calls.join(", "));
    assert.equal(engine.containers.get("c1")!.options.HostConfig?.NetworkMode, undefined);
    assert.equal(registry.routeFor(MANAGED.address)!.connection.endpoint, "127.0.0.1:40001");
  });

  it("removes the container and the network it made when the start fails, quoting the engine", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    engine.failNext("start", "error setting rlimits for ready process: operation not permitted");
    const { registry, manager } = managed(engine, { network: "hourglass-network" });
    await assert.rejects(manager.start(), /error setting rlimits/);
    assert.deepEqual(lifecycle(engine).slice(-2), ["remove c1", "removeNetwork hourglass-network"]);
    assert.equal(engine.containers.size, 0);
    assert.equal(engine.networks.size, 0);
    assert.deepEqual(registry.list(), []);
  });

  it("a removal that fails after a failed start is logged with the engine's error and its stack", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    engine.failNext("start", "error setting rlimits for ready process: operation not permitted");
    engine.failNext("remove", "removal of container c1 is already in progress");
    const lines: string[] = [];
    const destination = new Writable({
      write: (chunk, _encoding, done) => done(void lines.push(String(chunk))),
    });
    const { manager } = managed(engine, { log: createLogger("test", { level: "error", destination }) });
    await assert.rejects(manager.start(), /error setting rlimits/);
    const failed = lines.map((l) => JSON.parse(l)).find((r) => r.msg.startsWith("removing a container"));
    assert.match(failed?.container ?? "", /^avs-performer-/);
    assert.equal(failed?.err?.message, "removal of container c1 is already in progress");
    assert.match(failed?.err?.stack ?? "", /\n\s+at /);
  });

  it("abortDeployments ends a start the engine does not answer, and leaves nothing behind", async () => {
    for (const request of ["ensureImage", "create"] as const) {
      const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
      engine.hangNext(request);
      const { registry, manager } = managed(engine);
      const started = manager.start();
      await until(`${request} asked`, () => engine.calls.some((c) => c.startsWith(request)));
      manager.abortDeployments();
      await assert.rejects(started, /aborted/, request);
      await manager.shutdown();
      assert.equal(engine.containers.size, 0, request);
      assert.deepEqual(registry.list(), [], request);
    }
  });

  it("removes the AVSs already started when a later one fails, and leaves a network it found", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`], networks: ["shared"] });
    const { registry, manager } = managed(engine, { avs: [MANAGED, OTHER], network: "shared" });
    await assert.rejects(manager.start(), new RegExp(`image "${IMAGE}-other" is not in the engine`));
    assert.equal(engine.containers.size, 0);
    assert.ok(engine.calls.includes("remove c1"));
    assert.ok(!engine.calls.some((c) => c.startsWith("removeNetwork")));
    assert.deepEqual([...engine.networks], ["shared"]);
    assert.deepEqual(registry.list(), []);
  });

  it("fails with the container's exit code and log tail when it exits before serving, and removes it", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    engine.exitOnStart = { code: 3, logs: "Error: PERFORMER_GRPC_PORT is not a port" };
    const { manager } = managed(engine);
    await assert.rejects(
      manager.start(),
      /exited with code 3 before serving; docker logs --tail 20 avs-performer-\S+:\nError: PERFORMER_GRPC_PORT is not a port/,
    );
    assert.equal(engine.containers.size, 0);
  });

  it("gives up at startup_timeout with the last health answer, and removes the container", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    const { manager } = managed(engine, { serving: () => false });
    await assert.rejects(
      manager.start(),
      /not SERVING at 127\.0\.0\.1:40001 within startup_timeout.*last answer: NOT_SERVING/,
    );
    assert.equal(engine.containers.size, 0);
  });

  it("a failed create leaves no container and starts nothing", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    engine.failNext("create", "no space left on device");
    const { registry, manager } = managed(engine);
    await assert.rejects(manager.start(), /no space left on device/);
    assert.ok(!engine.calls.some((c) => c.startsWith("start ")));
    assert.equal(engine.containers.size, 0);
    assert.deepEqual(registry.list(), []);
  });

  it("replaces a container that dies with one of the same image and env", async (t) => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`] });
    const { registry, manager } = managed(engine, { watchMs: 10 });
    t.after(() => manager.shutdown());
    await manager.start();
    engine.exit("c1");
    await until("a replacement container", () => registry.routeFor(MANAGED.address)?.containerId === "c2");
    assert.deepEqual([...engine.containers.keys()], ["c2"]);
    const [first, second] = [1, 2].map((n) => engine.calls.indexOf(`start c${n}`));
    assert.ok(engine.calls.indexOf("remove c1") < second!, "the dead one is removed before the next starts");
    assert.ok(first! < second!);
    assert.deepEqual(engine.containers.get("c2")!.options.Env, [
      "PERFORMER_GRPC_PORT=9090",
      "CHAIN=local",
      "SECRET=s3cret",
    ]);
  });

  it("DeployArtifact: the new container serves before traffic moves, and the old one is removed only then", async (t) => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`, `${IMAGE}@${DIGEST}`] });
    const { registry, manager } = managed(engine);
    t.after(() => manager.shutdown());
    await manager.start();
    const response = await manager.deployArtifact(deployRequest(MANAGED.address));
    assert.equal(response.success, true);
    const calls = lifecycle(engine);
    assert.ok(calls.indexOf("start c2") < calls.indexOf("remove c1"), calls.join(", "));
    assert.equal(registry.routeFor(MANAGED.address)!.containerId, "c2");
    assert.deepEqual([...engine.containers.keys()], ["c2"]);
    assert.equal(engine.containers.get("c2")!.options.Image, `${IMAGE}@${DIGEST}`);
  });

  it("DeployArtifact that fails keeps the old container serving and leaves no new one", async (t) => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`, `${IMAGE}@${DIGEST}`] });
    const { registry, manager } = managed(engine, { serving: (endpoint) => endpoint.endsWith(":40001") });
    t.after(() => manager.shutdown());
    await manager.start();
    await assert.rejects(
      manager.deployArtifact(deployRequest(MANAGED.address)),
      (error: { code: number; details: string }) => {
        assert.equal(error.code, status.FAILED_PRECONDITION);
        assert.match(error.details, /not SERVING at 127\.0\.0\.1:40002/);
        return true;
      },
    );
    assert.equal(registry.routeFor(MANAGED.address)!.containerId, "c1");
    assert.deepEqual([...engine.containers.keys()], ["c1"]);
  });

  it("shutdown removes every container and the network it created; a second shutdown asks nothing more", async () => {
    const engine = new FakeDockerEngine({ images: [`${IMAGE}:v1`, `${IMAGE}-other`] });
    const { registry, manager } = managed(engine, { avs: [MANAGED, OTHER], network: "hourglass-network" });
    await manager.start();
    assert.equal(engine.running().length, 2);
    await manager.shutdown();
    assert.equal(engine.containers.size, 0);
    assert.equal(engine.networks.size, 0);
    assert.deepEqual(registry.list(), []);
    const asked = engine.calls.length;
    await manager.shutdown();
    assert.equal(engine.calls.length, asked);
  });
});
