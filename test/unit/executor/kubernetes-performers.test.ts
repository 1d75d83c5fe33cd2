// The kubernetes-mode manager's decisions against a recording fake of the Performer store: which Performers it
// lists, creates and deletes, in which order, and where the AVS's tasks go meanwhile.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import type { Performer } from "../../../src/api/performer.ts";
import {
  capacityProblem,
  deployRequestProblem,
  kubernetesPerformerManager,
  performersOfAvs,
  performersToClean,
} from "../../../src/executor/kubernetes-performers.ts";
import { deployedArtifact, desiredPerformer } from "../../../src/executor/performer-manifest.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { AvsSettings, ExecutorSettings } from "../../../src/executor/settings.ts";
import type { DeployArtifactRequest } from "../../../src/grpc/messages.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { until } from "../../support/eventually.ts";
import {
  apiError,
  fakePerformerStore,
  NAMESPACE,
  readyStatus,
  timestamp,
} from "../../support/fake-performer-store.ts";

const log = createLogger("test", { level: "silent" });
const AVS: AvsSettings = {
  address: "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01",
  name: "demo",
  performerImage: "ghcr.io/x/perf",
  performerVersion: "v1",
};
const OTHER_AVS = "0x2222222222222222222222222222222222222222";
const DIGEST_A = `sha256:${"aa".repeat(32)}`;
const DIGEST_B = `sha256:${"bb".repeat(32)}`;

function settingsWith(overrides: {
  performer?: Partial<ExecutorSettings["performer"]>;
  kubernetes?: Partial<NonNullable<ExecutorSettings["kubernetes"]>>;
}): ExecutorSettings {
  return {
    deploymentMode: "kubernetes",
    operator: { address: "0x0", operatorPrivateKey: { path: "operator.ecdsa_key_file" }, signingKeys: {} },
    chain: { l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 } },
    host: "127.0.0.1",
    ports: { grpc: 0, health: 0, metrics: 0, profiling: 0 },
    authentication: { enabled: false },
    profiling: false,
    signingThreads: 0,
    performer: {
      // Channels are lazy; nothing dials these in the tests.
      servicePattern: "127.0.0.1:{port}/{namespace}/{name}",
      defaultPort: 9090,
      taskTimeoutMs: 1_000,
      startupTimeoutMs: 5_000,
      retryAttempts: 0,
      maxPerformers: 10,
      maxInFlight: 4,
      maxQueued: 0,
      ...overrides.performer,
    },
    kubernetes: {
      namespace: NAMESPACE,
      crdGroup: "hourglass.eigenlayer.io",
      crdVersion: "v1alpha1",
      crdPlural: "performers",
      cleanupOnShutdown: true,
      cleanupTimeoutMs: 5_000,
      connectionTimeoutMs: 1_000,
      ...overrides.kubernetes,
    },
    avs: [AVS],
  };
}

/** The Performer the manager makes for `artifact`, as the apiserver would hold it. */
function stored(artifact: { image: string; version?: string }, created: string): Performer {
  const p = desiredPerformer(AVS, artifact, settingsWith({}));
  return { ...p, metadata: { ...p.metadata, namespace: NAMESPACE, creationTimestamp: timestamp(created) } };
}
const CONFIGURED = desiredPerformer(AVS, { image: AVS.performerImage!, version: "v1" }, settingsWith({}));
const configuredName = CONFIGURED.metadata.name!;
const nameOf = (digest: string) =>
  desiredPerformer(AVS, deployedArtifact("ghcr.io/x/perf", digest), settingsWith({})).metadata.name!;
const deploy = (digest: string): DeployArtifactRequest => ({
  avs_address: AVS.address,
  registry_url: "ghcr.io/x/perf",
  digest,
  env: [],
  kubernetes: null,
  auth: null,
});

function world(options: { initial?: Performer[]; settings?: ExecutorSettings } = {}) {
  const fake = fakePerformerStore(options.initial);
  const registry = new PerformerRegistry();
  const settings = options.settings ?? settingsWith({});
  const manager = kubernetesPerformerManager({ registry, settings, store: fake.store, log });
  const routed = () => registry.routeFor(AVS.address)?.performerId;
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { ...fake, registry, manager, routed, settle };
}

describe("kubernetes-mode performers: start", () => {
  it("lists, watches, creates the configured Performer and routes to it once Ready", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    assert.deepEqual(w.calls, ["list", "watch", `create ${configuredName}`]);
    const route = w.registry.routeFor(AVS.address)!;
    assert.equal(route.performerId, configuredName);
    assert.equal(route.connection.endpoint, `127.0.0.1:9090/${NAMESPACE}/${configuredName}`);
    assert.deepEqual([route.artifactRegistry, route.artifactDigest], ["ghcr.io/x/perf", "v1"]);
    assert.equal(route.containerId, `pod-${configuredName}`);
    assert.equal(route.limiter.limit, 4);
  });

  it("adopts the newest Performer of its AVS instead of creating one, and deletes older leftovers", async (t) => {
    const old = stored({ image: "ghcr.io/x/perf", version: "v1" }, "2026-01-01T00:00:01Z");
    const newer = readyStatus(stored(deployedArtifact("ghcr.io/x/perf", DIGEST_A), "2026-01-01T00:00:02Z"));
    const w = world({ initial: [old, newer] });
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    assert.deepEqual(w.calls, ["list", "watch", `delete ${old.metadata.name}`]);
    assert.equal(w.routed(), newer.metadata.name);
    // The executor's own delete is expected: nothing is recreated when its event arrives.
    await w.settle();
    await w.settle();
    assert.deepEqual(w.calls, ["list", "watch", `delete ${old.metadata.name}`]);
  });

  it("keeps serving when a leftover cannot be deleted", async (t) => {
    const old = stored({ image: "ghcr.io/x/perf", version: "v1" }, "2026-01-01T00:00:01Z");
    const newer = readyStatus(stored(deployedArtifact("ghcr.io/x/perf", DIGEST_A), "2026-01-01T00:00:02Z"));
    const w = world({ initial: [old, newer] });
    t.after(() => w.manager.shutdown());
    w.failures.delete.push(apiError(403, "forbidden"));
    await w.manager.start();
    assert.equal(w.routed(), newer.metadata.name);
    assert.deepEqual(w.calls, ["list", "watch", `delete ${old.metadata.name}`]);
  });

  it("repeats a list the apiserver cannot serve yet (503), and gives up at once on a refusal", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    w.failures.list.push(apiError(503, "storage is (re)initializing"));
    await w.manager.start();
    assert.deepEqual(w.calls.slice(0, 2), ["list", "list"]);

    const refused = world();
    refused.failures.list.push(apiError(403, 'performers is forbidden: cannot list "performers"'));
    await assert.rejects(
      refused.manager.start(),
      /listing performers\.hourglass\.eigenlayer\.io in namespace avs-ns: performers is forbidden.*check that the Performer CRD is installed/,
    );
    assert.deepEqual(refused.calls, ["list"]);
  });

  it("adopts a Performer that exists although the list did not show it (409 on create)", async (t) => {
    const w = world({ initial: [readyStatus(stored({ image: "ghcr.io/x/perf", version: "v1" }, "t"))] });
    t.after(() => w.manager.shutdown());
    // The list answers before the earlier run's create landed.
    const list = w.store.list;
    w.store.list = async () => (await list()).filter(() => false);
    await w.manager.start();
    assert.deepEqual(w.calls, ["list", "watch", `create ${configuredName}`]);
    assert.equal(w.routed(), configuredName);
  });

  it("repeats a create the apiserver cannot serve yet, but not one it refuses", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    w.failures.create.push(apiError(503, "unavailable"));
    await w.manager.start();
    assert.deepEqual(w.calls, ["list", "watch", `create ${configuredName}`, `create ${configuredName}`]);

    const refused = world();
    refused.failures.create.push(apiError(422, "spec.image: Required value"));
    await assert.rejects(
      refused.manager.start(),
      /creating Performer avs-ns\/.*: spec\.image: Required value/,
    );
    assert.deepEqual(refused.calls, ["list", "watch", `create ${configuredName}`]);
  });

  it("creates nothing beyond max_performers (RESOURCE_EXHAUSTED)", async () => {
    const foreign = desiredPerformer({ address: OTHER_AVS }, { image: "ghcr.io/y/perf" }, settingsWith({}));
    const w = world({ initial: [foreign], settings: settingsWith({ performer: { maxPerformers: 1 } }) });
    await assert.rejects(w.manager.start(), (error: { code: number; details: string }) => {
      assert.equal(error.code, status.RESOURCE_EXHAUSTED);
      assert.match(error.details, /^performer_config\.max_performers: 1 Performers exist/);
      return true;
    });
    assert.deepEqual(w.calls, ["list", "watch"]);
  });

  it("counts creates in progress against max_performers, not only what the watch has shown", async () => {
    const settings = settingsWith({ performer: { maxPerformers: 1 } });
    const second = { address: OTHER_AVS, name: "second", performerImage: "ghcr.io/y/perf" };
    settings.avs = [AVS, second];
    const w = world({ settings });
    await assert.rejects(
      w.manager.start(),
      /RESOURCE_EXHAUSTED: performer_config\.max_performers: 1 Performers exist/,
    );
    assert.deepEqual(w.calls, ["list", "watch", `create ${configuredName}`]);
    await w.manager.shutdown();
  });

  it("says which field is missing when the config gives the AVS no image", async () => {
    const settings = settingsWith({});
    settings.avs = [{ address: AVS.address }];
    const w = world({ settings });
    await assert.rejects(w.manager.start(), /supported_avs\[address=0xAbCd.*\]\.performer_image: required/);
    assert.deepEqual(w.calls, ["list", "watch"]);
  });
});

describe("kubernetes-mode performers: DeployArtifact", () => {
  async function started(settings?: ExecutorSettings) {
    const w = world({ settings });
    await w.manager.start();
    w.calls.length = 0;
    return w;
  }

  it("is blue-green: creates the new side, moves traffic once it is Ready, then deletes the old side", async (t) => {
    const w = await started();
    t.after(() => w.manager.shutdown());
    w.watchWrites.ready = false;
    const deploying = w.manager.deployArtifact(deploy(DIGEST_A));
    await until("the new side is created", () => w.cache.has(nameOf(DIGEST_A)));
    // Not Ready yet: the old side keeps the traffic.
    assert.equal(w.routed(), configuredName);
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`]);
    w.deliver(readyStatus(w.cluster.get(nameOf(DIGEST_A))!), "update");
    const answer = await deploying;
    assert.deepEqual(answer, {
      success: true,
      message: `AVS ${AVS.address} moved to Performer ${nameOf(DIGEST_A)}; ${configuredName} drained and deleted`,
      deployment_id: nameOf(DIGEST_A),
    });
    assert.equal(w.routed(), nameOf(DIGEST_A));
    assert.equal(w.registry.get(configuredName), undefined);
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`, `delete ${configuredName}`]);
    // The old side's delete event is the executor's own: it is not recreated.
    await sleep(20);
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`, `delete ${configuredName}`]);
  });

  it("does nothing for the artifact that already serves", async (t) => {
    const w = await started();
    t.after(() => w.manager.shutdown());
    await w.manager.deployArtifact(deploy(DIGEST_A));
    w.calls.length = 0;
    const again = await w.manager.deployArtifact(deploy(DIGEST_A));
    assert.equal(again.success, true);
    assert.match(again.message, /already runs this artifact/);
    assert.deepEqual(w.calls, []);
  });

  it("leaves the old side serving and removes the new one when it is not Ready within startup_timeout", async (t) => {
    const w = await started(settingsWith({ performer: { startupTimeoutMs: 100 } }));
    t.after(() => w.manager.shutdown());
    w.watchWrites.ready = false;
    const answer = await w.manager.deployArtifact(deploy(DIGEST_A));
    assert.equal(answer.success, false);
    assert.match(
      answer.message,
      /is not Ready after 100 ms \(performer_config\.startup_timeout\): .*; AVS .* stays on /,
    );
    assert.ok(answer.message.endsWith(`stays on ${configuredName}`), answer.message);
    assert.equal(w.routed(), configuredName);
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`, `delete ${nameOf(DIGEST_A)}`]);
  });

  it("reports a switch whose old side cannot be deleted as done, naming the leftover", async (t) => {
    const w = await started();
    t.after(() => w.manager.shutdown());
    w.failures.delete.push(apiError(403, "forbidden"));
    const answer = await w.manager.deployArtifact(deploy(DIGEST_A));
    assert.equal(answer.success, true);
    assert.match(
      answer.message,
      new RegExp(`${configuredName} drained but not deleted \\(.*forbidden\\); delete it by hand`),
    );
    assert.equal(w.routed(), nameOf(DIGEST_A));
  });

  it("refuses a second deployment for the AVS while one is in progress (ABORTED)", async (t) => {
    const w = await started();
    t.after(() => w.manager.shutdown());
    let open!: () => void;
    w.gates.create = new Promise((resolve) => {
      open = resolve;
    });
    const first = w.manager.deployArtifact(deploy(DIGEST_A));
    await assert.rejects(
      w.manager.deployArtifact(deploy(DIGEST_B)),
      (error: { code: number; details: string }) => {
        assert.equal(error.code, status.ABORTED);
        assert.match(error.details, /a deployment for AVS .* is in progress/);
        return true;
      },
    );
    open();
    assert.equal((await first).success, true);
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`, `delete ${configuredName}`]);
  });

  it("lets the new side exceed max_performers by one, and no more", async (t) => {
    const w = await started(settingsWith({ performer: { maxPerformers: 1 } }));
    t.after(() => w.manager.shutdown());
    assert.equal((await w.manager.deployArtifact(deploy(DIGEST_A))).success, true);

    w.calls.length = 0;
    // A second Performer in the namespace (another executor's AVS): the limit is reached.
    const other = desiredPerformer({ address: OTHER_AVS }, { image: "ghcr.io/y/perf" }, settingsWith({}));
    w.deliver(other, "add");
    const refused = await w.manager.deployArtifact(deploy(DIGEST_B));
    assert.equal(refused.success, false);
    assert.match(
      refused.message,
      /^RESOURCE_EXHAUSTED: performer_config\.max_performers: 2 Performers exist; raise max_performers/,
    );
    assert.equal(w.routed(), nameOf(DIGEST_A));
    // Nothing created; removing the failed new side finds nothing.
    assert.deepEqual(w.calls, [`delete ${nameOf(DIGEST_B)}`]);
  });

  it("checks the request before anything else", async (t) => {
    const w = await started();
    t.after(() => w.manager.shutdown());
    await assert.rejects(
      w.manager.deployArtifact({ ...deploy("d"), avs_address: "", registry_url: "r" }),
      (e: { code: number; details: string }) =>
        e.code === status.INVALID_ARGUMENT && e.details.startsWith("avs_address: empty"),
    );
    await assert.rejects(
      w.manager.deployArtifact({ ...deploy(DIGEST_A), digest: "" }),
      (e: { code: number; details: string }) =>
        e.code === status.INVALID_ARGUMENT && e.details.startsWith("digest: empty"),
    );
    await assert.rejects(
      w.manager.deployArtifact({ ...deploy(DIGEST_A), avs_address: OTHER_AVS }),
      (e: { code: number; details: string }) =>
        e.code === status.NOT_FOUND && /serves no AVS .*executor.s config/.test(e.details),
    );
    assert.deepEqual(w.calls, []);
  });
});

describe("kubernetes-mode performers: following the watch", () => {
  it("keeps ListPerformers' health and Pod current from the Performer's status", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    const route = w.registry.routeFor(AVS.address)!;
    assert.deepEqual([route.health.status, route.health.resourceHealthy], ["Running", true]);
    const current = w.cache.get(configuredName)!;
    w.deliver(
      { ...current, status: { phase: "Pending", podName: "pod-successor", conditions: [] } },
      "update",
    );
    assert.deepEqual([route.health.status, route.health.resourceHealthy], ["Pending", false]);
    assert.equal(route.containerId, "pod-successor");
  });

  it("recreates a serving Performer deleted from outside with the artifact it ran, not the config's", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    await w.manager.deployArtifact(deploy(DIGEST_A));
    w.calls.length = 0;
    const deployed = w.cluster.get(nameOf(DIGEST_A))!;
    w.cluster.delete(nameOf(DIGEST_A));
    w.deliver(deployed, "delete");
    assert.equal(w.routed(), undefined);
    await until("the AVS is routed again", () => w.routed() !== undefined);
    assert.equal(w.routed(), nameOf(DIGEST_A));
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`]);
    assert.equal(w.cluster.get(nameOf(DIGEST_A))?.spec.image, `ghcr.io/x/perf@${DIGEST_A}`);
  });

  it("gives the Performer DeployArtifact's env and service account, and keeps them when recreating it", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    const request: DeployArtifactRequest = {
      ...deploy(DIGEST_A),
      env: [
        { name: "MODE", value: "fast", value_from_env: "", kubernetes_env: null },
        {
          name: "API_KEY",
          value: "",
          value_from_env: "",
          kubernetes_env: {
            value_from: { secret_key_ref: { name: "keys", key: "api" }, config_map_key_ref: null },
          },
        },
      ],
      kubernetes: { service_account_name: "avs-runner" },
    };
    const answer = await w.manager.deployArtifact(request);
    assert.equal(answer.success, true);
    const created = w.cluster.get(answer.deployment_id)!;
    assert.deepEqual(created.spec.config?.env, [
      { name: "MODE", value: "fast" },
      { name: "API_KEY", valueFrom: { secretKeyRef: { name: "keys", key: "api" } } },
    ]);
    assert.equal(created.spec.serviceAccountName, "avs-runner");
    assert.notEqual(
      answer.deployment_id,
      nameOf(DIGEST_A),
      "another Performer than the same image without them",
    );
    w.cluster.delete(answer.deployment_id);
    w.deliver(created, "delete");
    await until("the AVS is routed again", () => w.routed() !== undefined);
    assert.deepEqual(w.cluster.get(answer.deployment_id)?.spec, created.spec);
  });

  it("recreates after a deployment in progress that fails, instead of dropping the AVS", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    w.calls.length = 0;
    let open!: () => void;
    w.gates.create = new Promise((resolve) => {
      open = resolve;
    });
    const deploying = w.manager.deployArtifact(deploy(DIGEST_A));
    const serving = w.cluster.get(configuredName)!;
    w.cluster.delete(configuredName);
    w.deliver(serving, "delete");
    w.failures.create.push(apiError(422, "spec.image: invalid"));
    open();
    assert.equal((await deploying).success, false);
    await until("the AVS is routed again", () => w.routed() !== undefined, 5_000);
    assert.equal(w.routed(), configuredName);
    assert.deepEqual(w.calls, [
      `create ${nameOf(DIGEST_A)}`,
      `delete ${nameOf(DIGEST_A)}`,
      `create ${configuredName}`,
    ]);
  });

  it("does not recreate a Performer deleted once the executor is stopping", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    w.calls.length = 0;
    const serving = w.cluster.get(configuredName)!;
    w.manager.abortDeployments();
    w.deliver(serving, "delete");
    await sleep(20);
    assert.deepEqual(w.calls, []);
  });
});

describe("kubernetes-mode performers: RemovePerformer", () => {
  it("drains and deletes the Performer, and does not recreate it", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    w.calls.length = 0;
    const answer = await w.manager.removePerformer({ performer_id: configuredName });
    assert.equal(answer.success, true);
    assert.match(answer.message, /has no performer until DeployArtifact/);
    assert.equal(w.routed(), undefined);
    await sleep(20);
    assert.deepEqual(w.calls, [`delete ${configuredName}`]);
  });

  it("closes the route's channel once its tasks have answered", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    const route = w.registry.routeFor(AVS.address)!;
    const close = route.connection.close;
    let closed = 0;
    route.connection.close = () => {
      closed++;
      close();
    };
    await w.manager.removePerformer({ performer_id: configuredName });
    assert.equal(closed, 1);
  });

  it("takes a Performer already gone from the cluster (404) as deleted", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    w.calls.length = 0;
    // Deleted from outside; the watch has not told yet.
    w.cluster.delete(configuredName);
    const answer = await w.manager.removePerformer({ performer_id: configuredName });
    assert.equal(answer.success, true);
    assert.deepEqual(w.calls, [`delete ${configuredName}`]);
  });

  it("says NOT_FOUND for a performer it does not manage", async (t) => {
    const w = world();
    t.after(() => w.manager.shutdown());
    await w.manager.start();
    w.calls.length = 0;
    await assert.rejects(
      w.manager.removePerformer({ performer_id: "nope" }),
      (e: { code: number; details: string }) =>
        e.code === status.NOT_FOUND && e.details.startsWith("performer_id:"),
    );
    assert.deepEqual(w.calls, []);
  });
});

describe("kubernetes-mode performers: shutdown", () => {
  it("deletes every Performer of its AVSs that the cache or a fresh list shows, and no one else's", async () => {
    const w = world();
    await w.manager.start();
    // Created by an earlier run, not yet seen by the watch; and another executor's AVS in the same namespace.
    const unseen = stored(deployedArtifact("ghcr.io/x/perf", DIGEST_B), "2026-01-01T00:00:05Z");
    const foreign = desiredPerformer({ address: OTHER_AVS }, { image: "ghcr.io/y/perf" }, settingsWith({}));
    w.cluster.set(unseen.metadata.name!, unseen);
    w.cluster.set(foreign.metadata.name!, foreign);
    w.calls.length = 0;
    await w.manager.shutdown();
    assert.deepEqual(w.calls, [
      "stopWatching",
      "list",
      `delete ${configuredName}`,
      `delete ${unseen.metadata.name}`,
    ]);
    assert.deepEqual([...w.cluster.keys()], [foreign.metadata.name]);
  });

  it("deletes nothing when cleanup_on_shutdown is false", async () => {
    const w = world({ settings: settingsWith({ kubernetes: { cleanupOnShutdown: false } }) });
    await w.manager.start();
    w.calls.length = 0;
    await w.manager.shutdown();
    assert.deepEqual(w.calls, ["stopWatching"]);
  });

  it("ends a deployment's wait for Ready, lets its create settle and deletes what it created", async () => {
    const w = world();
    await w.manager.start();
    w.calls.length = 0;
    w.watchWrites.ready = false;
    let open!: () => void;
    w.gates.create = new Promise((resolve) => {
      open = resolve;
    });
    const deploying = w.manager.deployArtifact(deploy(DIGEST_A));
    await until("the create is sent", () => w.calls.length > 0);
    const stopping = w.manager.shutdown();
    await sleep(10);
    // The list waits for the create in progress.
    assert.deepEqual(w.calls, [`create ${nameOf(DIGEST_A)}`, "stopWatching"]);
    open();
    await stopping;
    const answer = await deploying;
    assert.equal(answer.success, false);
    assert.match(answer.message, /executor shutting down before Performer .* was Ready/);
    assert.deepEqual(w.calls.slice(0, 3), [`create ${nameOf(DIGEST_A)}`, "stopWatching", "list"]);
    assert.deepEqual(
      new Set(w.calls.slice(3)),
      new Set([`delete ${configuredName}`, `delete ${nameOf(DIGEST_A)}`]),
    );
    assert.equal(w.cluster.size, 0);
  });

  it("gives up on the cleanup after cleanup_timeout", { timeout: 10_000 }, async () => {
    const w = world({ settings: settingsWith({ kubernetes: { cleanupTimeoutMs: 100 } }) });
    await w.manager.start();
    w.gates.delete = new Promise(() => {});
    await w.manager.shutdown();
    assert.deepEqual(w.calls.slice(-3), ["stopWatching", "list", `delete ${configuredName}`]);
  });
});

describe("kubernetes-mode performers: pure decisions", () => {
  it("takes the AVS's Performers newest first, without those being deleted or of other AVSs", () => {
    const a = stored({ image: "i", version: "1" }, "2026-01-01T00:00:01Z");
    const b = stored({ image: "i", version: "2" }, "2026-01-01T00:00:03Z");
    const c = stored({ image: "i", version: "3" }, "2026-01-01T00:00:02Z");
    const going = { ...stored({ image: "i", version: "4" }, "2026-01-01T00:00:09Z") };
    going.metadata.deletionTimestamp = timestamp("2026-01-01T00:00:10Z");
    const foreign = desiredPerformer({ address: OTHER_AVS }, { image: "i" }, settingsWith({}));
    const got = performersOfAvs([a, b, c, going, foreign], AVS.address.toUpperCase().replace("0X", "0x"));
    assert.deepEqual(
      got.map((p) => p.spec.version),
      ["2", "3", "1"],
    );
  });

  it("allows max_performers, and one more for the new side of a switch", () => {
    assert.equal(capacityProblem(1, 2, false), undefined);
    assert.match(capacityProblem(2, 2, false)!, /^performer_config\.max_performers: 2 Performers exist/);
    assert.equal(capacityProblem(2, 2, true), undefined);
    assert.match(capacityProblem(3, 2, true)!, /3 Performers exist/);
  });

  it("cleans up routed Performers and those of its AVSs, once each", () => {
    const mine = stored({ image: "i", version: "1" }, "t");
    const foreign = desiredPerformer({ address: OTHER_AVS }, { image: "i" }, settingsWith({}));
    const keys = new Set([AVS.address.toLowerCase()]);
    assert.deepEqual(performersToClean(["routed", mine.metadata.name!], [mine, mine, foreign], keys), [
      "routed",
      mine.metadata.name,
    ]);
  });

  it("names the empty field of a DeployArtifact request", () => {
    assert.match(
      deployRequestProblem({ avs_address: "", registry_url: "r", digest: "d" })!.message,
      /avs_address: empty/,
    );
    assert.match(
      deployRequestProblem({ avs_address: "a", registry_url: "", digest: "d" })!.message,
      /registry_url: empty/,
    );
    assert.match(
      deployRequestProblem({ avs_address: "a", registry_url: "r", digest: "" })!.message,
      /digest: empty/,
    );
    assert.equal(deployRequestProblem({ avs_address: "a", registry_url: "r", digest: "d" }), undefined);
  });
});
