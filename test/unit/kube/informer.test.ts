// The informer wrapper against a fake list-watch source that fails the ways an apiserver connection does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import {
  Informer,
  type InformerEvent,
  type ListResult,
  type ListWatchSource,
  type WatchEventType,
} from "../../../src/kube/informer.ts";
import { until } from "../../support/eventually.ts";

function obj(name: string, resourceVersion: string): KubernetesObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns", resourceVersion } };
}

interface OpenWatch {
  resourceVersion: string;
  aborted: boolean;
  emit(type: WatchEventType, object: unknown): void;
  close(error?: unknown): void;
}

/** A source whose lists answer from `lists` (an Error is thrown) and whose watches the test drives. */
class FakeSource implements ListWatchSource<KubernetesObject> {
  readonly watches: OpenWatch[] = [];
  listCalls = 0;
  lists: (ListResult<KubernetesObject> | Error)[];
  watchOpenError: unknown;

  constructor(lists: (ListResult<KubernetesObject> | Error)[]) {
    this.lists = lists;
  }

  async list(transform: (o: KubernetesObject) => KubernetesObject): Promise<ListResult<KubernetesObject>> {
    this.listCalls++;
    const next = this.lists.length > 1 ? this.lists.shift()! : this.lists[0]!;
    if (next instanceof Error) throw next;
    return { ...next, items: next.items.map(transform) };
  }

  async watch(
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void,
    onClose: (error?: unknown) => void,
  ) {
    if (this.watchOpenError) {
      const error = this.watchOpenError;
      this.watchOpenError = undefined;
      onClose(error);
      return { abort() {} };
    }
    const w: OpenWatch = {
      resourceVersion,
      aborted: false,
      emit: (type, object) => onEvent(type, object as KubernetesObject),
      close: (error) => onClose(error),
    };
    this.watches.push(w);
    return {
      abort() {
        w.aborted = true;
      },
    };
  }
}

function informer(
  source: FakeSource,
  options: {
    watchdogMs?: number;
    resyncPeriodMs?: number;
    transform?: (o: KubernetesObject) => KubernetesObject;
  } = {},
) {
  const seen: [string, InformerEvent][] = [];
  const inf = new Informer({
    name: "test",
    source,
    onEvent: (o, e) => seen.push([o.metadata!.name!, e]),
    logger: pino({ level: "silent" }),
    backoffInitialMs: 1,
    backoffMaxMs: 4,
    random: () => 0,
    ...options,
  });
  return { inf, seen };
}

test("lists, then watches from the list's resourceVersion, keeping the cache and telling the handler", async (t) => {
  const source = new FakeSource([{ items: [obj("a", "1"), obj("b", "2")], resourceVersion: "10" }]);
  const { inf, seen } = informer(source);
  t.after(() => inf.stop());
  assert.equal(inf.hasSynced(), false);
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  assert.equal(inf.hasSynced(), true);
  assert.equal(source.watches[0]!.resourceVersion, "10");
  assert.deepEqual(seen, [
    ["a", "add"],
    ["b", "add"],
  ]);
  source.watches[0]!.emit("MODIFIED", obj("a", "11"));
  source.watches[0]!.emit("ADDED", obj("c", "12"));
  source.watches[0]!.emit("DELETED", obj("b", "13"));
  assert.deepEqual(seen.slice(2), [
    ["a", "update"],
    ["c", "add"],
    ["b", "delete"],
  ]);
  assert.equal(inf.get("ns", "a")?.metadata?.resourceVersion, "11");
  assert.equal(inf.get("ns", "b"), undefined);
  assert.deepEqual(
    inf
      .list()
      .map((o) => o.metadata?.name)
      .sort(),
    ["a", "c"],
  );
  // A normal close after events reopens from the last resourceVersion seen, without relisting.
  source.watches[0]!.emit("BOOKMARK", { metadata: { resourceVersion: "20" } });
  source.watches[0]!.close();
  await until("a second watch", () => source.watches.length === 2);
  assert.equal(source.watches[1]!.resourceVersion, "20");
  assert.equal(source.listCalls, 1);
});

test("a failing list is retried until it succeeds", async (t) => {
  const source = new FakeSource([
    new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    new Error("connect ECONNREFUSED 127.0.0.1:6443"),
    { items: [obj("a", "1")], resourceVersion: "5" },
  ]);
  const { inf, seen } = informer(source);
  t.after(() => inf.stop());
  inf.start();
  await until("synced", () => inf.hasSynced());
  assert.equal(source.listCalls, 3);
  assert.equal(inf.restarts(), 2);
  assert.deepEqual(seen, [["a", "add"]]);
});

test("a watch that fails is reopened from where it was, keeping the cache", async (t) => {
  const source = new FakeSource([{ items: [obj("a", "1")], resourceVersion: "5" }]);
  const { inf } = informer(source);
  t.after(() => inf.stop());
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  source.watches[0]!.emit("MODIFIED", obj("a", "6"));
  source.watches[0]!.close(new Error("read ECONNRESET"));
  await until("a second watch", () => source.watches.length === 2);
  assert.equal(source.watches[1]!.resourceVersion, "6");
  assert.equal(source.listCalls, 1);
  assert.equal(inf.get("ns", "a")?.metadata?.resourceVersion, "6");
  assert.equal(inf.restarts(), 1);
});

test("410 Gone as a watch ERROR event relists, and what vanished meanwhile is reported deleted", async (t) => {
  const source = new FakeSource([
    { items: [obj("a", "1"), obj("b", "2")], resourceVersion: "5" },
    { items: [obj("a", "1"), obj("c", "40")], resourceVersion: "50" },
  ]);
  const { inf, seen } = informer(source);
  t.after(() => inf.stop());
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  source.watches[0]!.emit("ERROR", {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: "too old resource version: 5 (35)",
    reason: "Expired",
    code: 410,
  });
  await until("a second watch", () => source.watches.length === 2);
  assert.equal(source.watches[0]!.aborted, true);
  assert.equal(source.listCalls, 2);
  assert.equal(source.watches[1]!.resourceVersion, "50");
  assert.deepEqual(seen.slice(2), [
    ["b", "delete"],
    ["c", "add"],
  ]);
  assert.equal(inf.get("ns", "b"), undefined);
});

test("410 Gone when opening the watch relists", async (t) => {
  const source = new FakeSource([{ items: [obj("a", "1")], resourceVersion: "5" }]);
  source.watchOpenError = Object.assign(new Error("Gone"), { statusCode: 410 });
  const { inf } = informer(source);
  t.after(() => inf.stop());
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  assert.equal(source.listCalls, 2);
});

test("a silent watch is dropped by the watchdog and reopened", async (t) => {
  const source = new FakeSource([{ items: [obj("a", "1")], resourceVersion: "5" }]);
  const { inf } = informer(source, { watchdogMs: 20 });
  t.after(() => inf.stop());
  inf.start();
  await until("a second watch", () => source.watches.length >= 2);
  assert.equal(source.watches[0]!.aborted, true);
  assert.equal(source.watches[1]!.resourceVersion, "5");
  assert.equal(source.listCalls, 1);
  assert.ok(inf.restarts() >= 1);
});

test("every resync period the handler sees each cached object again", async (t) => {
  const source = new FakeSource([{ items: [obj("a", "1"), obj("b", "2")], resourceVersion: "5" }]);
  const { inf, seen } = informer(source, { resyncPeriodMs: 10 });
  t.after(() => inf.stop());
  inf.start();
  await until("two resyncs", () => seen.filter(([, e]) => e === "resync").length >= 4);
  const resynced = new Set(seen.filter(([, e]) => e === "resync").map(([n]) => n));
  assert.deepEqual([...resynced].sort(), ["a", "b"]);
});

test("stop aborts the open watch and ends the loop", async () => {
  const source = new FakeSource([{ items: [], resourceVersion: "5" }]);
  const { inf } = informer(source);
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  await inf.stop();
  assert.equal(source.watches[0]!.aborted, true);
  await sleep(10);
  assert.equal(source.watches.length, 1);
});

test("stop during the list ends the loop when the list returns, without opening a watch", async () => {
  let answer: (result: ListResult<KubernetesObject>) => void = () => {};
  const source = new FakeSource([{ items: [], resourceVersion: "5" }]);
  source.list = () => {
    source.listCalls++;
    return new Promise((resolve) => {
      answer = resolve;
    });
  };
  const { inf } = informer(source, { watchdogMs: 60_000 });
  inf.start();
  await until("the list", () => source.listCalls === 1);
  let stopped = false;
  const stopping = inf.stop().then(() => {
    stopped = true;
  });
  answer({ items: [obj("a", "5")], resourceVersion: "5" });
  await stopping;
  assert.equal(stopped, true);
  assert.equal(source.watches.length, 0);
});

test("the cache and the handler get each listed and watched object as the transform reduces it", async (t) => {
  const withData = (name: string, rv: string, namespace = "ns"): KubernetesObject =>
    ({
      ...obj(name, rv),
      metadata: { name, namespace, resourceVersion: rv },
      data: { big: "x" },
    }) as KubernetesObject;
  const source = new FakeSource([
    { items: [withData("a", "1"), withData("b", "2", "other")], resourceVersion: "2" },
  ]);
  const handled: KubernetesObject[] = [];
  const inf = new Informer({
    name: "test",
    source,
    onEvent: (o) => handled.push(o),
    transform: ({ metadata }) => ({ metadata }),
    logger: pino({ level: "silent" }),
  });
  t.after(() => inf.stop());
  inf.start();
  await until("a watch", () => source.watches.length === 1);
  source.watches[0]!.emit("ADDED", withData("c", "3"));
  source.watches[0]!.emit("MODIFIED", withData("a", "4"));
  for (const name of ["a", "c"]) assert.deepEqual(Object.keys(inf.get("ns", name)!), ["metadata"]);
  assert.equal(inf.get("ns", "a")!.metadata!.resourceVersion, "4");
  assert.ok(handled.length === 4 && handled.every((o) => !("data" in o)), JSON.stringify(handled));
  // The namespace index follows adds, updates and deletes.
  assert.deepEqual(
    inf
      .listNamespace("ns")
      .map((o) => o.metadata!.name)
      .sort(),
    ["a", "c"],
  );
  assert.deepEqual(
    inf.listNamespace("other").map((o) => o.metadata!.name),
    ["b"],
  );
  source.watches[0]!.emit("DELETED", withData("b", "5", "other"));
  assert.deepEqual(inf.listNamespace("other"), []);
  assert.deepEqual(inf.listNamespace("nowhere"), []);
});
