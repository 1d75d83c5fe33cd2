// The Performer controller against a real kube-apiserver and kube-controller-manager (garbage collector).
// No kubelet runs: where a test needs a Pod Running, Ready or failing, it writes the Pod's status the way the
// kubelet would (test/support/kubelet.ts). The webhooks of the global setup admit and default what is created.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, openSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodStatus,
} from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { type PerformerController, startPerformerController } from "../../controllers/manager.ts";
import type { Performer, PerformerCondition } from "../../src/api/performer.ts";
import { isNotFound } from "../../src/kube/api-errors.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { restartApiserver } from "../controlplane/controlplane.ts";
import { apiserverProxy } from "../support/apiserver-proxy.ts";
import { testCluster, useNamespace } from "../support/cluster.ts";
import { eventually } from "../support/eventually.ts";
import {
  crashLoopStatus,
  evictedStatus,
  imagePullFailingStatus,
  readinessFailingStatus,
  runningReadyStatus,
  unschedulableStatus,
  writePodStatus,
} from "../support/kubelet.ts";

const GROUP = { group: "hourglass.eigenlayer.io", version: "v1alpha1", plural: "performers" };
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const root = join(import.meta.dirname, "..", "..");

const cluster = testCluster();
const kc = cluster.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

function logFile(name: string): string {
  return join(cluster.stateDir, "logs", `${name}.log`);
}

async function createPerformer(
  namespace: string,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<Performer> {
  return custom.createNamespacedCustomObject({
    ...GROUP,
    namespace,
    body: {
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      metadata: { name },
      spec: {
        avsAddress: AVS,
        image: "registry.example/avs/performer",
        version: "v1.0.0",
        healthCheck: { type: "grpc", initialDelaySeconds: 1, periodSeconds: 1 },
        ...spec,
      },
    },
  });
}

async function getPerformer(namespace: string, name: string): Promise<Performer> {
  return custom.getNamespacedCustomObject({ ...GROUP, namespace, name });
}

async function patchPerformer(namespace: string, name: string, body: object): Promise<void> {
  await custom.patchNamespacedCustomObject({ ...GROUP, namespace, name, body }, mergePatch);
}

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const readPod = (namespace: string, name: string) =>
  readOrUndefined(() => core.readNamespacedPod({ namespace, name: `performer-${name}` }));
const readService = (namespace: string, name: string) =>
  readOrUndefined(() => core.readNamespacedService({ namespace, name: `performer-${name}` }));

function condition(performer: Performer, type: string): PerformerCondition | undefined {
  return performer.status?.conditions?.find((c) => c.type === type);
}

async function eventsFor(namespace: string, name: string, reason: string) {
  const list = await core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.kind=Performer,involvedObject.name=${name},reason=${reason}`,
  });
  return list.items;
}

/** The Pod, once it exists, with `status` written on it as the kubelet would. */
async function kubeletWrites(
  namespace: string,
  name: string,
  status: (pod: V1Pod) => V1PodStatus,
): Promise<V1Pod> {
  const pod = await eventually(`Pod performer-${name}`, () => readPod(namespace, name));
  return writePodStatus(kc, namespace, pod.metadata!.name!, status(pod));
}

async function reconcileCount(registry: Registry): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "hourglass_reconcile_total");
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe("the controller, in process", () => {
  let controller: PerformerController;
  const registry = new Registry();

  before(async () => {
    controller = startPerformerController({
      kubeConfig: cluster.kubeConfig(),
      registry,
      logger: createLogger("hourglass-operator", {
        level: "debug",
        destination: createWriteStream(logFile("controller-in-process")),
      }),
      leaderElect: false,
      workers: 2,
    });
    await eventually("the informers to sync", async () => (controller.ready() ? true : undefined));
  });
  after(() => controller.stop());

  test("a Performer becomes a Pod and a Service it owns, within seconds", async (t) => {
    const ns = await useNamespace(t, "ctl");
    const started = performance.now();
    const performer = await createPerformer(ns, "alpha", {
      config: { grpcPort: 9191, env: [{ name: "MODE", value: "test" }] },
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    });
    const pod = await eventually("the Pod", () => readPod(ns, "alpha"));
    const podMs = performance.now() - started;
    const withStatus = await eventually("a status naming the Pod", async () => {
      const p = await getPerformer(ns, "alpha");
      return p.status?.podName ? p : undefined;
    });
    const statusMs = performance.now() - started;
    t.diagnostic(
      `create → Pod created: ${podMs.toFixed(0)} ms; create → status written: ${statusMs.toFixed(0)} ms`,
    );

    const owner = {
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      name: "alpha",
      uid: performer.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    };
    assert.deepEqual(
      pod.metadata?.ownerReferences?.map((r) => ({ ...r })),
      [owner],
    );
    assert.equal(pod.metadata?.labels?.["hourglass.eigenlayer.io/performer"], "alpha");
    assert.equal(pod.metadata?.labels?.["hourglass.eigenlayer.io/avs"], AVS);
    const container = pod.spec!.containers[0]!;
    assert.equal(container.image, "registry.example/avs/performer:v1.0.0");
    assert.equal(container.ports?.find((p) => p.name === "grpc")?.containerPort, 9191);
    assert.deepEqual(
      container.env?.map((e) => ({ ...e })),
      [{ name: "MODE", value: "test" }],
    );
    assert.equal(container.resources?.limits?.memory, "256Mi");
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.readinessProbe?.grpc?.port, 9191);

    const service = await eventually("the Service", () => readService(ns, "alpha"));
    assert.deepEqual(
      service.metadata?.ownerReferences?.map((r) => ({ ...r })),
      [owner],
    );
    assert.deepEqual(service.spec?.selector, { "hourglass.eigenlayer.io/performer": "alpha" });
    assert.deepEqual(
      service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]),
      [["grpc", 9191, "grpc"]],
    );
    assert.equal(withStatus.status?.phase, "Pending");
    assert.equal(withStatus.status?.serviceName, "performer-alpha");
    assert.equal(withStatus.status?.observedGeneration, withStatus.metadata.generation);
  });

  test("Running and Ready once the kubelet reports the Pod ready, with the endpoint", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await createPerformer(ns, "beta");
    await kubeletWrites(ns, "beta", (pod) => runningReadyStatus(pod));
    const running = await eventually("phase Running", async () => {
      const p = await getPerformer(ns, "beta");
      return p.status?.phase === "Running" ? p : undefined;
    });
    assert.equal(condition(running, "Ready")?.status, "True");
    assert.equal(running.status?.readyReplicas, 1);
    assert.equal(running.status?.endpoint, `performer-beta.${ns}.svc.cluster.local:9090`);
    const ready = await eventually("a Ready Event", async () => (await eventsFor(ns, "beta", "Ready"))[0]);
    assert.equal(ready.type, "Normal");
  });

  test("a spec change replaces the Pod with one running the new spec", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await createPerformer(ns, "gamma");
    const first = await eventually("the first Pod", () => readPod(ns, "gamma"));
    await patchPerformer(ns, "gamma", { spec: { version: "v2.0.0" } });
    const second = await eventually("a Pod running v2.0.0", async () => {
      const pod = await readPod(ns, "gamma");
      return pod && pod.metadata?.uid !== first.metadata?.uid ? pod : undefined;
    });
    assert.equal(second.spec?.containers[0]?.image, "registry.example/avs/performer:v2.0.0");
    const updated = await eventually("status of generation 2", async () => {
      const p = await getPerformer(ns, "gamma");
      return p.status?.observedGeneration === p.metadata.generation && p.status?.podName ? p : undefined;
    });
    assert.equal(condition(updated, "Ready")?.observedGeneration, updated.metadata.generation);
    assert.ok((await eventsFor(ns, "gamma", "ReplacingPod")).length >= 1);
  });

  test("an evicted Pod is replaced (10 s after it was created at the earliest), and the Performer says why", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await createPerformer(ns, "eta");
    const first = await eventually("the first Pod", () => readPod(ns, "eta"));
    await writePodStatus(kc, ns, first.metadata!.name!, evictedStatus(first));
    await eventually("a new Pod", async () => {
      const pod = await readPod(ns, "eta");
      return pod && pod.metadata?.uid !== first.metadata?.uid ? pod : undefined;
    });
    const [event] = await eventually("a ReplacingPod Event", async () => {
      const events = await eventsFor(ns, "eta", "ReplacingPod");
      return events.length ? events : undefined;
    });
    assert.equal(event?.type, "Warning");
    assert.match(
      event?.message ?? "",
      /Pod performer-eta has ended \(Failed, Evicted: The node was low on resource: memory/,
    );
  });

  test("a quantity re-spelled as the apiserver stores it keeps the Pod", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await createPerformer(ns, "zeta", { resources: { requests: { cpu: "0.5", memory: "1024Mi" } } });
    const first = await eventually("the first Pod", () => readPod(ns, "zeta"));
    // What the apiserver stored is what the controller asked for: the two spell quantities alike.
    const stored = first.spec?.containers[0]?.resources?.requests;
    assert.deepEqual(stored, { cpu: "500m", memory: "1Gi" });
    await patchPerformer(ns, "zeta", { spec: { resources: { requests: stored } } });
    await eventually("status of generation 2", async () => {
      const p = await getPerformer(ns, "zeta");
      return p.metadata.generation === 2 && p.status?.observedGeneration === 2 ? p : undefined;
    });
    assert.equal((await readPod(ns, "zeta"))?.metadata?.uid, first.metadata?.uid);
    assert.deepEqual(await eventsFor(ns, "zeta", "ReplacingPod"), []);
  });

  test("deleting the Performer removes its Pod and Service (garbage collection)", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await createPerformer(ns, "delta");
    await eventually("the Pod", () => readPod(ns, "delta"));
    await eventually("the Service", () => readService(ns, "delta"));
    await custom.deleteNamespacedCustomObject({ ...GROUP, namespace: ns, name: "delta" });
    await eventually(
      "the Pod and the Service to be gone",
      async () => ((await readPod(ns, "delta")) || (await readService(ns, "delta")) ? undefined : true),
      // The garbage collector of a fresh control plane starts watching a new CRD's objects only at its next
      // resource resync (about 30 s).
      { timeoutMs: 120_000 },
    );
  });

  const failures: {
    name: string;
    status: (pod: V1Pod) => V1PodStatus;
    phase: string;
    condition: string;
    reason: string;
    quote: (pod: V1Pod) => string;
  }[] = [
    {
      name: "unschedulable",
      status: () => unschedulableStatus("0/3 nodes are available: 3 Insufficient cpu."),
      phase: "Pending",
      condition: "Scheduled",
      reason: "Unschedulable",
      quote: () => "0/3 nodes are available: 3 Insufficient cpu.",
    },
    {
      name: "pull-backoff",
      status: (pod) => imagePullFailingStatus(pod, "ImagePullBackOff"),
      phase: "Pending",
      condition: "ImageAvailable",
      reason: "ImagePullBackOff",
      quote: (pod) => `Back-off pulling image "${pod.spec?.containers[0]?.image}"`,
    },
    {
      name: "pull-error",
      status: (pod) => imagePullFailingStatus(pod, "ErrImagePull"),
      phase: "Pending",
      condition: "ImageAvailable",
      reason: "ErrImagePull",
      quote: () => "code = NotFound",
    },
    {
      name: "crash-loop",
      status: (pod) => crashLoopStatus(pod, new Date(), 2),
      phase: "Failed",
      condition: "ContainerRunning",
      reason: "CrashLoopBackOff",
      quote: () => "back-off 1m20s restarting failed container=performer",
    },
    {
      name: "unready",
      status: (pod) => readinessFailingStatus(pod, new Date(Date.now() - 600_000)),
      phase: "Unhealthy",
      condition: "Ready",
      reason: "ReadinessProbeFailed",
      quote: () => "containers with unready status: [performer]",
    },
  ];
  for (const f of failures) {
    test(`${f.reason}: phase ${f.phase}, ${f.condition}=False and one Event, all quoting the cause`, async (t) => {
      const ns = await useNamespace(t, "ctl");
      await createPerformer(ns, f.name);
      const pod = await kubeletWrites(ns, f.name, f.status);
      const quote = f.quote(pod);
      const seen = await eventually(`phase ${f.phase} with ${f.condition} ${f.reason}`, async () => {
        const p = await getPerformer(ns, f.name);
        return p.status?.phase === f.phase && condition(p, f.condition)?.reason === f.reason ? p : undefined;
      });
      const c = condition(seen, f.condition)!;
      assert.equal(c.status, "False");
      assert.ok(c.message.includes(quote), `${c.message} does not quote ${quote}`);
      const [event] = await eventually(`a ${f.reason} Event`, async () => {
        const events = await eventsFor(ns, f.name, f.reason);
        return events.length ? events : undefined;
      });
      assert.equal(event?.type, "Warning");
      assert.ok(event?.message?.includes(quote), `${event?.message} does not quote ${quote}`);

      // More reconciles of the same state (a resync) announce nothing new.
      const before = await reconcileCount(registry);
      await patchPerformer(ns, f.name, { metadata: { annotations: { "test.hourglass/poke": "1" } } });
      await writePodStatus(kc, ns, pod.metadata!.name!, f.status(pod));
      await eventually("another reconcile", async () =>
        (await reconcileCount(registry)) > before ? true : undefined,
      );
      await sleep(300);
      assert.equal((await eventsFor(ns, f.name, f.reason)).length, 1);
    });
  }

  test("a Pod the apiserver refuses is reported with the apiserver's message", async (t) => {
    const ns = await useNamespace(t, "ctl");
    // Valid for the Performer, refused for the Pod (403): the RuntimeClass admission plugin wants the class to
    // exist, which an administrator can fix without touching the Performer, so it waits rather than fails.
    await createPerformer(ns, "refused", { scheduling: { runtimeClassName: "no-such-runtime" } });
    const seen = await eventually("Ready reason PodForbidden", async () => {
      const p = await getPerformer(ns, "refused");
      return condition(p, "Ready")?.reason === "PodForbidden" ? p : undefined;
    });
    assert.equal(seen.status?.phase, "Pending");
    assert.match(condition(seen, "Ready")!.message, /Pod performer-refused was refused: .*no-such-runtime/);
    await eventually("a PodForbidden Event", async () => (await eventsFor(ns, "refused", "PodForbidden"))[0]);
  });

  test("a Pod a ResourceQuota forbids is reported with the apiserver's message, and the Performer waits", async (t) => {
    const ns = await useNamespace(t, "ctl");
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: "no-pods" }, spec: { hard: { pods: "0" } } },
    });
    // Quota admission enforces what the quota controller has written in the status; no such controller runs here.
    await core.replaceNamespacedResourceQuotaStatus({
      name: "no-pods",
      namespace: ns,
      body: {
        metadata: { name: "no-pods" },
        spec: { hard: { pods: "0" } },
        status: { hard: { pods: "0" }, used: { pods: "0" } },
      },
    });
    await createPerformer(ns, "over-quota");
    const seen = await eventually("Ready reason PodForbidden", async () => {
      const p = await getPerformer(ns, "over-quota");
      return condition(p, "Ready")?.reason === "PodForbidden" ? p : undefined;
    });
    assert.equal(seen.status?.phase, "Pending");
    assert.match(
      condition(seen, "Ready")!.message,
      /Pod performer-over-quota was refused: .*forbidden.*no-pods/,
    );
    await eventually(
      "a PodForbidden Event",
      async () => (await eventsFor(ns, "over-quota", "PodForbidden"))[0],
    );
    // The quota goes; nothing about the Performer changes, and its Pod is created at the next try (30 s).
    await core.deleteNamespacedResourceQuota({ name: "no-pods", namespace: ns });
    await eventually("the Pod, once the quota is gone", () => readPod(ns, "over-quota"), {
      timeoutMs: 60_000,
    });
  });
});

/** The controller as a process of its own, so that a test can kill it outright. */
function controllerProcess(name: string, env: Record<string, string>): ChildProcess {
  const url = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);
  const main = `
    import { Registry } from ${JSON.stringify(import.meta.resolve("prom-client"))};
    import { startPerformerController } from ${url("controllers/manager.ts")};
    import { loadKubeConfig } from ${url("src/kube/kubeconfig.ts")};
    import { createLogger } from ${url("src/observability/logger.ts")};
    const controller = startPerformerController({
      kubeConfig: loadKubeConfig({ kubeconfig: process.env.KUBECONFIG_FILE }),
      registry: new Registry(),
      logger: createLogger("hourglass-operator"),
      leaderElect: process.env.LEADER_ELECT === "true",
      leaseNamespace: process.env.LEASE_NAMESPACE,
      identity: process.env.IDENTITY,
    });
    process.on("SIGTERM", () => controller.stop().then(() => process.exit(0)));
  `;
  const log = openSync(logFile(name), "a");
  return spawn(process.execPath, ["--input-type=module", "-e", main], {
    cwd: root,
    stdio: ["ignore", log, log],
    env: {
      ...process.env,
      LOG_LEVEL: "debug",
      KUBECONFIG_FILE: cluster.kubeconfigPath,
      IDENTITY: name,
      ...env,
    },
  });
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

function stopAfter(t: TestContext, child: ChildProcess): ChildProcess {
  t.after(() => terminate(child, "SIGKILL"));
  return child;
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  const lease = await readOrUndefined(() =>
    kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name: "hourglass-operator" }),
  );
  return lease?.spec?.holderIdentity;
}

/** Exactly one Pod and one Service per Performer, each controlled by it, and no child without a Performer. */
async function assertOneChildEach(namespace: string, names: string[]): Promise<void> {
  const performers = await custom.listNamespacedCustomObject({ ...GROUP, namespace });
  const uids = new Map<string, string>(
    (performers.items as Performer[]).map((p) => [p.metadata.name!, p.metadata.uid!]),
  );
  const selector = { namespace, labelSelector: "hourglass.eigenlayer.io/performer" };
  for (const list of [await core.listNamespacedPod(selector), await core.listNamespacedService(selector)]) {
    const owners = list.items.map((child) => {
      const owner = child.metadata?.ownerReferences?.find((r) => r.controller);
      assert.equal(
        owner?.uid,
        uids.get(owner?.name ?? ""),
        `${child.metadata?.name} is not controlled by a Performer`,
      );
      return owner!.name;
    });
    assert.deepEqual(owners.sort(), [...names].sort());
  }
}

describe("the controller, restarted and replaced", () => {
  test("killed mid-reconcile and restarted, it converges without duplicates or orphans", async (t) => {
    const ns = await useNamespace(t, "ctl");
    const first = stopAfter(t, controllerProcess("controller-killed", {}));
    const names = ["k1", "k2", "k3", "k4", "k5", "k6"];
    await Promise.all(names.map((name) => createPerformer(ns, name)));
    // Kill it as soon as it has started writing: some Performers have children, some a status, some nothing.
    await eventually("the first Pod", async () => {
      const pods = await core.listNamespacedPod({ namespace: ns });
      return pods.items.length > 0 ? true : undefined;
    });
    await terminate(first, "SIGKILL");
    const second = stopAfter(t, controllerProcess("controller-restarted", {}));
    await eventually("every Performer with a status naming its Pod and Service", async () => {
      const list = await custom.listNamespacedCustomObject({ ...GROUP, namespace: ns });
      const done = (list.items as Performer[]).filter((p) => p.status?.podName && p.status?.serviceName);
      return done.length === names.length ? true : undefined;
    });
    await assertOneChildEach(ns, names);
    await terminate(second, "SIGTERM");
  });

  test("with leader election one controller leads; the other takes over when it is killed", async (t) => {
    const ns = await useNamespace(t, "ctl");
    const env = { LEADER_ELECT: "true", LEASE_NAMESPACE: ns };
    const a = stopAfter(t, controllerProcess("controller-a", env));
    await eventually("controller-a to hold the Lease", async () =>
      (await leaseHolder(ns)) === "controller-a" ? true : undefined,
    );
    const b = stopAfter(t, controllerProcess("controller-b", env));
    await createPerformer(ns, "led-by-a");
    await eventually("the Pod of led-by-a", () => readPod(ns, "led-by-a"));
    assert.equal(await leaseHolder(ns), "controller-a");

    await terminate(a, "SIGKILL");
    const killedAt = performance.now();
    await createPerformer(ns, "led-by-b");
    await eventually(
      "controller-b to hold the Lease",
      async () => ((await leaseHolder(ns)) === "controller-b" ? true : undefined),
      { timeoutMs: 60_000 },
    );
    const takeoverMs = performance.now() - killedAt;
    await eventually("the Pod of led-by-b", () => readPod(ns, "led-by-b"), { timeoutMs: 30_000 });
    const reconciledMs = performance.now() - killedAt;
    t.diagnostic(
      `leader killed → Lease taken over: ${(takeoverMs / 1000).toFixed(1)} s; → new Performer's Pod: ${(reconciledMs / 1000).toFixed(1)} s`,
    );
    await assertOneChildEach(ns, ["led-by-a", "led-by-b"]);

    // A leader that shuts down cleanly releases the Lease instead of letting it run out.
    await terminate(b, "SIGTERM");
    assert.equal(await leaseHolder(ns), "");
  });
});

test("watches cut off are re-established and nothing that changed meanwhile is lost", async (t) => {
  const ns = await useNamespace(t, "ctl");
  const proxy = await apiserverProxy(t, kc);
  const controller = startPerformerController({
    kubeConfig: proxy.kubeConfig,
    registry: new Registry(),
    logger: createLogger("hourglass-operator", {
      level: "debug",
      destination: createWriteStream(logFile("controller-proxied")),
    }),
    leaderElect: false,
  });
  t.after(() => controller.stop());
  await createPerformer(ns, "cut");
  const before = await eventually("the first Pod", () => readPod(ns, "cut"));

  proxy.cut();
  // While the controller is cut off: one Performer changes, another is created.
  await patchPerformer(ns, "cut", { spec: { version: "v3.0.0" } });
  await createPerformer(ns, "born-offline");
  await sleep(1_500);
  proxy.restore();

  const after = await eventually(
    "the Pod of cut running v3.0.0",
    async () => {
      const pod = await readPod(ns, "cut");
      return pod && pod.metadata?.uid !== before.metadata?.uid ? pod : undefined;
    },
    { timeoutMs: 60_000 },
  );
  assert.equal(after.spec?.containers[0]?.image, "registry.example/avs/performer:v3.0.0");
  await eventually("the Pod of born-offline", () => readPod(ns, "born-offline"), { timeoutMs: 60_000 });
  await assertOneChildEach(ns, ["cut", "born-offline"]);
});

test("after an apiserver restart the controller's watches recover and later changes are not lost", async (t) => {
  const ns = await useNamespace(t, "ctl");
  const controller = startPerformerController({
    kubeConfig: cluster.kubeConfig(),
    registry: new Registry(),
    logger: createLogger("hourglass-operator", {
      level: "debug",
      destination: createWriteStream(logFile("controller-apiserver-restart")),
    }),
    leaderElect: false,
  });
  t.after(() => controller.stop());
  await createPerformer(ns, "restart");
  const before = await eventually("the first Pod", () => readPod(ns, "restart"));

  await restartApiserver(cluster.stateDir);
  // Changes after the restart reach the controller only through watches it had to re-establish.
  await patchPerformer(ns, "restart", { spec: { version: "v4.0.0" } });
  await createPerformer(ns, "after-restart");

  const after = await eventually(
    "the Pod of restart running v4.0.0",
    async () => {
      const pod = await readPod(ns, "restart");
      return pod && pod.metadata?.uid !== before.metadata?.uid ? pod : undefined;
    },
    { timeoutMs: 30_000 },
  );
  assert.equal(after.spec?.containers[0]?.image, "registry.example/avs/performer:v4.0.0");
  await eventually("the Pod of after-restart", () => readPod(ns, "after-restart"), { timeoutMs: 30_000 });
  await assertOneChildEach(ns, ["restart", "after-restart"]);
});
