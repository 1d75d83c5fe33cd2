// The reconciler's decisions against in-memory caches and a recording fake of the apiserver writes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiException, type V1Pod, type V1Service } from "@kubernetes/client-node";
import { pino } from "pino";
import { MissingPermissions } from "../../../controllers/operator-permissions.ts";
import { GC_GRACE_MS, performerReconciler, RequeueError } from "../../../controllers/performer.ts";
import type { PerformerCluster } from "../../../controllers/performer-cluster.ts";
import type { Performer, PerformerStatus } from "../../../src/api/performer.ts";
import { runningReadyStatus } from "../../support/kubelet.ts";

const KEY = "avs-ns/my-avs";

function performer(): Performer {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name: "my-avs", namespace: "avs-ns", uid: "uid-1", generation: 1, resourceVersion: "100" },
    spec: {
      avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
      image: "ghcr.io/x/perf",
      version: "v1",
    },
  };
}

/**
 * The caches (what the informers show), the apiserver's state after the writes (`written`), and the log of
 * writes and Events. `catchUp()` delivers the watch events: the caches then show what was written.
 */
function world(
  initial: Performer | undefined,
  missingPermissions?: MissingPermissions,
  clock?: { now: number },
) {
  const cache = {
    performer: initial,
    pod: undefined as V1Pod | undefined,
    service: undefined as V1Service | undefined,
  };
  const written = {
    pod: undefined as V1Pod | undefined,
    service: undefined as V1Service | undefined,
    status: undefined as PerformerStatus | undefined,
  };
  const writes: string[] = [];
  const events: string[] = [];
  const failures: { createPod?: unknown; writeStatus?: unknown } = {};
  /** When set, createService answers only once this resolves. */
  const gates: { createService?: Promise<void> } = {};
  let uid = 0;
  /** The uid the apiserver holds for the Performer's name (what performerUid reads). */
  const stored: { uid?: string } = {};
  const live = new AbortController().signal;
  /** Calls made without the reconcile's signal, which could then outlive it. */
  const unsignalled: string[] = [];
  const heard = (call: string, signal: AbortSignal | undefined) => {
    if (signal !== live) unsignalled.push(call);
  };
  const cluster: PerformerCluster = {
    async createService(service) {
      writes.push("createService");
      await gates.createService;
      written.service = { ...service, metadata: { ...service.metadata, uid: `svc-${++uid}` } };
      return written.service;
    },
    async patchService(_existing, desired) {
      writes.push("patchService");
      written.service = desired;
      return desired;
    },
    async createPod(pod) {
      writes.push("createPod");
      if (failures.createPod) throw failures.createPod;
      written.pod = { ...pod, metadata: { ...pod.metadata, uid: `pod-${++uid}` } };
      return written.pod;
    },
    async deletePod(pod, signal) {
      heard("deletePod", signal);
      writes.push(`deletePod ${pod.metadata?.uid}`);
      written.pod = undefined;
    },
    async deleteService(service, signal) {
      heard("deleteService", signal);
      writes.push(`deleteService ${service.metadata?.uid}`);
      written.service = undefined;
    },
    async performerUid(_namespace, _name, signal) {
      heard("performerUid", signal);
      writes.push("performerUid");
      return stored.uid;
    },
    async writeStatus(p, _previous, status) {
      writes.push("writeStatus");
      if (failures.writeStatus) throw failures.writeStatus;
      written.status = status;
      return { ...p, status };
    },
    async recordEvent(_p, event) {
      events.push(event.reason);
    },
  };
  const reconcile = performerReconciler({
    cluster,
    logger: pino({ level: "silent" }),
    ...(clock ? { now: () => new Date(clock.now) } : {}),
    ...(missingPermissions ? { missingPermissions } : {}),
    caches: { performer: () => cache.performer, pod: () => cache.pod, service: () => cache.service },
  });
  const catchUp = () => {
    cache.pod = written.pod;
    cache.service = written.service;
    if (cache.performer && written.status) {
      const rv = String(Number(cache.performer.metadata.resourceVersion) + 1);
      cache.performer = {
        ...cache.performer,
        metadata: { ...cache.performer.metadata, resourceVersion: rv },
        status: written.status,
      };
    }
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const clear = () => {
    writes.length = 0;
    events.length = 0;
  };
  return {
    unsignalled,
    cache,
    written,
    writes,
    events,
    failures,
    gates,
    stored,
    reconcile: (key: string) => reconcile(key, live),
    catchUp,
    settle,
    clear,
  };
}

test("a new Performer gets a Service, a Pod and a status: three writes and one CreatedPod Event", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, ["createService", "createPod", "writeStatus"]);
  assert.deepEqual(w.events, ["CreatedPod"]);
  assert.equal(w.written.status?.podName, "performer-my-avs");
  assert.equal(w.written.status?.endpoint, "performer-my-avs.avs-ns.svc.cluster.local:9090");
});

test("before the caches catch up, another pass creates nothing twice", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  await w.settle();
  w.clear();
  await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, []);
});

test("a pass between a status write and its watch event announces nothing twice", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  w.cache.pod = { ...w.cache.pod!, status: runningReadyStatus(w.cache.pod!) };
  await w.reconcile(KEY);
  await w.settle();
  w.clear();
  // The Performer in the cache still has the status from before the Ready write.
  await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, []);
  assert.deepEqual(w.events, []);
});

test("once the caches show what was written, resyncs write nothing", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  w.clear();
  for (let i = 0; i < 3; i++) await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, []);
  assert.deepEqual(w.events, []);
});

test("the Pod turning Ready is one status write and one Ready Event", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  w.cache.pod = { ...w.cache.pod!, status: runningReadyStatus(w.cache.pod!) };
  w.clear();
  await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, ["writeStatus"]);
  assert.deepEqual(w.events, ["Ready"]);
  assert.equal(w.written.status?.phase, "Running");
});

test("a spec change deletes the Pod, waits for it to go, then creates the successor", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  const oldUid = w.cache.pod!.metadata!.uid;
  w.cache.performer = {
    ...w.cache.performer!,
    metadata: { ...w.cache.performer!.metadata, generation: 2 },
    spec: { ...w.cache.performer!.spec, version: "v2" },
  };
  w.clear();
  await w.reconcile(KEY);
  await w.settle();
  assert.equal(w.writes[0], `deletePod ${oldUid}`);
  assert.ok(!w.writes.includes("createPod"));
  assert.ok(w.events.includes("ReplacingPod"));
  assert.equal(w.written.status?.phase, "Pending");

  // The cache still shows the old Pod: neither delete it again nor create.
  w.clear();
  await w.reconcile(KEY);
  assert.ok(!w.writes.some((x) => x.startsWith("deletePod") || x === "createPod"), w.writes.join());

  // Its deletion arrives: the successor runs v2.
  w.cache.pod = undefined;
  await w.reconcile(KEY);
  assert.ok(w.writes.includes("createPod"));
  assert.equal(w.written.pod?.spec?.containers[0]?.image, "ghcr.io/x/perf:v2");
});

test("a drifted Service is patched back", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  w.cache.service = { ...w.cache.service!, spec: { ...w.cache.service!.spec, selector: { app: "other" } } };
  w.clear();
  await w.reconcile(KEY);
  assert.deepEqual(w.writes, ["patchService"]);
});

test("a Pod of the same name controlled by someone else is left alone and reported", async () => {
  const w = world(performer());
  w.cache.pod = {
    metadata: {
      name: "performer-my-avs",
      namespace: "avs-ns",
      uid: "foreign",
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "other", uid: "rs", controller: true },
      ],
    },
  };
  await w.reconcile(KEY);
  await w.settle();
  assert.ok(!w.writes.some((x) => x.includes("Pod")), w.writes.join());
  assert.equal(w.written.status?.phase, "Failed");
  assert.ok(
    w.written.status?.conditions?.some(
      (c) => c.reason === "PodConflict" && c.message.includes("ReplicaSet other"),
    ),
  );
  assert.ok(w.events.includes("PodConflict"));
});

const predecessor = {
  apiVersion: "hourglass.eigenlayer.io/v1alpha1",
  kind: "Performer",
  name: "my-avs",
  uid: "the-deleted-one",
  controller: true,
};

/** A Pod and a Service named as my-avs's, controlled by `owner`. */
function leftChildren(owner = predecessor): { pod: V1Pod; service: V1Service } {
  const metadata = (uid: string) => ({
    name: "performer-my-avs",
    namespace: "avs-ns",
    uid,
    ownerReferences: [owner],
  });
  return { pod: { metadata: metadata("old-pod") }, service: { metadata: metadata("old-svc") } };
}

test("a child left by a deleted namesake is waited for, not reported as a conflict", async () => {
  const clock = { now: Date.parse("2026-12-01T10:00:00Z") };
  const recreated = performer();
  recreated.metadata.creationTimestamp = new Date(clock.now);
  const w = world(recreated, undefined, clock);
  Object.assign(w.cache, leftChildren());
  const result = await w.reconcile(KEY);
  await w.settle();
  assert.deepEqual(w.writes, ["writeStatus"], "nothing but the status is written while the old children go");
  assert.equal(result.requeueAfterMs, GC_GRACE_MS, "looked at again once the collector's grace is over");
  assert.equal(w.written.status?.phase, "Pending");
  const ready = w.written.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "WaitingForPreviousPod");
  assert.match(
    ready?.message ?? "",
    /Pod performer-my-avs still belongs to Performer my-avs \(uid the-deleted-one\)/,
  );
  assert.ok(!w.events.some((e) => e.endsWith("Conflict")), w.events.join());

  // The garbage collector removes them: this Performer's own follow.
  w.cache.pod = undefined;
  w.cache.service = undefined;
  w.clear();
  await w.reconcile(KEY);
  assert.ok(w.writes.includes("createPod") && w.writes.includes("createService"), w.writes.join());
});

test("children the garbage collector missed for a recreated namesake are removed once its grace is over", async () => {
  const clock = { now: Date.parse("2026-12-01T10:00:00Z") };
  const recreated = performer();
  recreated.metadata.creationTimestamp = new Date(clock.now);
  const w = world(recreated, undefined, clock);
  Object.assign(w.cache, leftChildren());
  await w.reconcile(KEY);
  assert.ok(!w.writes.some((x) => x.startsWith("delete")), w.writes.join());
  clock.now += GC_GRACE_MS;
  w.clear();
  await w.reconcile(KEY);
  assert.deepEqual(w.writes.filter((x) => x.startsWith("delete")).sort(), [
    "deletePod old-pod",
    "deleteService old-svc",
  ]);
  assert.deepEqual(w.unsignalled, [], "the removals are cancelled with the reconcile");
  // Their deletion events bring the next pass, which creates this Performer's own.
  w.catchUp();
  w.clear();
  await w.reconcile(KEY);
  assert.ok(w.writes.includes("createPod") && w.writes.includes("createService"), w.writes.join());
});

test("a child of someone else's (not a namesake's) is never removed", async () => {
  const clock = { now: Date.parse("2026-12-01T10:00:00Z") };
  const w = world(performer(), undefined, clock);
  Object.assign(w.cache, leftChildren({ ...predecessor, kind: "ReplicaSet" }));
  clock.now += 10 * GC_GRACE_MS;
  await w.reconcile(KEY);
  assert.ok(!w.writes.some((x) => x.startsWith("delete")), w.writes.join());
});

test("children of a Performer gone from the cache: after the grace, removed once the apiserver confirms it is gone", async () => {
  const clock = { now: Date.parse("2026-12-01T10:00:00Z") };
  const w = world(undefined, undefined, clock);
  Object.assign(w.cache, leftChildren());
  assert.deepEqual(await w.reconcile(KEY), { requeueAfterMs: GC_GRACE_MS });
  assert.deepEqual(w.writes, [], "the garbage collector's turn first");
  clock.now += GC_GRACE_MS;
  // The cache lags: the apiserver still holds that very Performer. Nothing is removed; it is looked at again.
  w.stored.uid = predecessor.uid;
  assert.deepEqual(await w.reconcile(KEY), { requeueAfterMs: GC_GRACE_MS });
  assert.deepEqual(w.writes, ["performerUid"]);
  // Gone (or another one under the name): the children go, exactly those uids.
  w.stored.uid = "someone-new";
  w.clear();
  assert.deepEqual(await w.reconcile(KEY), { requeueAfterMs: GC_GRACE_MS });
  clock.now += GC_GRACE_MS;
  assert.deepEqual(await w.reconcile(KEY), {});
  assert.deepEqual(w.writes, ["performerUid", "deletePod old-pod", "deleteService old-svc"]);
  assert.deepEqual(w.unsignalled, [], "the lookup and the removals are cancelled with the reconcile");
});

test("a Pod the apiserver refuses (422) becomes a condition quoting it", async () => {
  const w = world(performer());
  const message = 'Pod "performer-my-avs" is invalid: spec.containers[0].env[0].name: Invalid value: "1A"';
  w.failures.createPod = new ApiException(
    422,
    "Unprocessable Entity",
    JSON.stringify({ kind: "Status", code: 422, message }),
    {},
  );
  await w.reconcile(KEY);
  await w.settle();
  const ready = w.written.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "PodRejected");
  assert.ok(ready?.message.includes(message), ready?.message);
  assert.deepEqual(
    w.events.filter((e) => e === "PodRejected"),
    ["PodRejected"],
  );
});

test("a Pod refused with 403 (a quota) is reported, keeps the Performer Pending, and is tried again later", async () => {
  const w = world(performer());
  const message =
    'pods "performer-my-avs" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10';
  w.failures.createPod = new ApiException(
    403,
    "Forbidden",
    JSON.stringify({ kind: "Status", code: 403, message }),
    {},
  );
  const result = await w.reconcile(KEY);
  await w.settle();
  assert.equal(result.requeueAfterMs, 30_000);
  assert.equal(w.written.status?.phase, "Pending");
  const ready = w.written.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "PodForbidden");
  assert.ok(ready?.message.includes(message), ready?.message);
  assert.deepEqual(Object.keys(ready ?? {}).sort(), [
    "lastTransitionTime",
    "message",
    "observedGeneration",
    "reason",
    "status",
    "type",
  ]);
  assert.ok(w.events.includes("PodForbidden"));
});

test("a Pod that ended is replaced, but not sooner than 10 s after it was created", async () => {
  const w = world(performer());
  await w.reconcile(KEY);
  w.catchUp();
  const endedAt = (ageMs: number): V1Pod => ({
    ...w.cache.pod!,
    metadata: {
      ...w.cache.pod!.metadata,
      creationTimestamp: new Date(Date.now() - ageMs).toISOString() as never,
    },
    status: { phase: "Failed", reason: "OutOfcpu", message: "Node didn't have enough resource: cpu" },
  });
  w.cache.pod = endedAt(2_000);
  w.clear();
  const early = await w.reconcile(KEY);
  assert.ok(!w.writes.some((x) => x.startsWith("deletePod")), w.writes.join());
  assert.ok(
    early.requeueAfterMs !== undefined && early.requeueAfterMs > 7_000 && early.requeueAfterMs <= 8_000,
  );
  w.cache.pod = endedAt(11_000);
  w.clear();
  await w.reconcile(KEY);
  await w.settle();
  assert.ok(
    w.writes.some((x) => x.startsWith("deletePod")),
    w.writes.join(),
  );
  assert.ok(w.events.includes("ReplacingPod"));
});

test("a 409 on create (the cache is behind) asks for another look; other errors propagate", async () => {
  const conflict = world(performer());
  conflict.failures.createPod = new ApiException(409, "Conflict", "{}", {});
  await assert.rejects(conflict.reconcile(KEY), RequeueError);
  const down = world(performer());
  down.failures.createPod = new ApiException(503, "Service Unavailable", "{}", {});
  await assert.rejects(down.reconcile(KEY), (e: unknown) => e instanceof ApiException && e.code === 503);
});

test("a failed reconcile ends only after its other write has finished", async () => {
  const w = world(performer());
  let openGate = () => {};
  w.gates.createService = new Promise((resolve) => {
    openGate = resolve;
  });
  w.failures.createPod = new ApiException(503, "Service Unavailable", "{}", {});
  let ended = false;
  const reconciled = w.reconcile(KEY).finally(() => {
    ended = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ended, false, "the reconcile ended while the Service create was still in flight");
  openGate();
  await assert.rejects(reconciled, (e: unknown) => e instanceof ApiException && e.code === 503);
  assert.ok(w.written.service, "the Service create completed");
});

test("a Performer that is gone needs nothing", async () => {
  const w = world(undefined);
  assert.deepEqual(await w.reconcile(KEY), {});
  assert.deepEqual(w.writes, []);
});

function rbacDenial(verb: string, resource: string, group: string): ApiException<string> {
  const message = `${resource} is forbidden: User "system:serviceaccount:hourglass-system:hourglass-operator" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "avs-ns"`;
  return new ApiException(403, "Forbidden", JSON.stringify({ kind: "Status", code: 403, message }), {});
}

test("without performers/status the rule is reported, the Events still go out, and the key comes back", async () => {
  const missing = new MissingPermissions(pino({ level: "silent" }));
  const w = world(performer(), missing);
  w.failures.writeStatus = rbacDenial("patch", "performers/status", "hourglass.eigenlayer.io");
  await assert.rejects(w.reconcile(KEY), RequeueError);
  await w.settle();
  assert.deepEqual(missing.list(), ["patch performers/status (hourglass.eigenlayer.io)"]);
  assert.deepEqual(w.events, ["CreatedPod"]);
});

test("a missing permission is the condition OperatorPermissions=False MissingPermission and a Warning Event", async () => {
  const missing = new MissingPermissions(pino({ level: "silent" }));
  missing.report({ verb: "create", group: "", resource: "events" }, "test");
  missing.report({ verb: "list", group: "", resource: "configmaps" }, "test");
  const w = world(performer(), missing);
  await w.reconcile(KEY);
  await w.settle();
  const condition = w.written.status?.conditions?.find((c) => c.type === "OperatorPermissions");
  assert.equal(condition?.status, "False");
  assert.equal(condition?.reason, "MissingPermission");
  assert.match(
    condition?.message ?? "",
    /may not create events, list configmaps; add these rules to ClusterRole hourglass-operator/,
  );
  assert.ok(w.events.includes("MissingPermission"), w.events.join());
  // Granted again: the condition goes at the next reconcile.
  missing.granted({ verb: "create", group: "", resource: "events" });
  missing.granted({ verb: "list", group: "", resource: "configmaps" });
  w.catchUp();
  await w.reconcile(KEY);
  assert.equal(
    w.written.status?.conditions?.find((c) => c.type === "OperatorPermissions"),
    undefined,
  );
});

test("a Pod create refused by RBAC names the rule; one refused by a quota does not", async () => {
  const missing = new MissingPermissions(pino({ level: "silent" }));
  const w = world(performer(), missing);
  w.failures.createPod = rbacDenial("create", "pods", "");
  await w.reconcile(KEY);
  assert.deepEqual(missing.list(), ["create pods"]);
  const quota = new MissingPermissions(pino({ level: "silent" }));
  const q = world(performer(), quota);
  q.failures.createPod = new ApiException(
    403,
    "Forbidden",
    JSON.stringify({ message: 'pods "performer-my-avs" is forbidden: exceeded quota: q, requested: pods=1' }),
    {},
  );
  await q.reconcile(KEY);
  assert.deepEqual(quota.list(), []);
});
