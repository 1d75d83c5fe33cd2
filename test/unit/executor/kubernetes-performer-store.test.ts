// The Performer store's adapter, against a recording fake of client-node's CustomObjectsApi and a fake
// list-watch source: which requests it makes, and what the manager hears of the watch.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Performer } from "../../../src/api/performer.ts";
import {
  MANAGED_SELECTOR,
  type PerformerApi,
  performerStoreOver,
} from "../../../src/executor/kubernetes-performer-store.ts";
import type { KubernetesSettings } from "../../../src/executor/settings.ts";
import type { InformerEvent, ListWatchSource, WatchEventType } from "../../../src/kube/informer.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { until } from "../../support/eventually.ts";

const SETTINGS: KubernetesSettings = {
  namespace: "avs-ns",
  crdGroup: "hourglass.example.org",
  crdVersion: "v1beta1",
  crdPlural: "performers",
  cleanupOnShutdown: true,
  cleanupTimeoutMs: 1_000,
  connectionTimeoutMs: 100,
};
const RESOURCE = {
  group: "hourglass.example.org",
  version: "v1beta1",
  namespace: "avs-ns",
  plural: "performers",
};

function performer(name: string): Performer {
  return {
    apiVersion: "hourglass.example.org/v1beta1",
    kind: "Performer",
    metadata: { name, namespace: "avs-ns", resourceVersion: "5" },
    spec: { avsAddress: "0x1111111111111111111111111111111111111111", image: "i" },
  };
}

function adapter(options: { hang?: boolean } = {}) {
  const requests: [string, unknown][] = [];
  const answer = <T>(value: T): Promise<T> => (options.hang ? new Promise(() => {}) : Promise.resolve(value));
  const api = {
    listNamespacedCustomObject: (request: unknown) => {
      requests.push(["list", request]);
      return answer({ items: [performer("a")], metadata: { resourceVersion: "7" } });
    },
    createNamespacedCustomObject: (request: unknown) => {
      requests.push(["create", request]);
      return answer({});
    },
    deleteNamespacedCustomObject: (request: unknown) => {
      requests.push(["delete", request]);
      return answer({});
    },
  } as unknown as PerformerApi;
  let emit: ((type: WatchEventType, object: Performer) => void) | undefined;
  const watches: string[] = [];
  const store = performerStoreOver({
    api,
    watchSource: (list): ListWatchSource<Performer> => ({
      list: async () => {
        const got = await list();
        return { items: got.items, resourceVersion: got.metadata?.resourceVersion ?? "" };
      },
      async watch(resourceVersion, onEvent) {
        watches.push(resourceVersion);
        emit = onEvent;
        return { abort: () => watches.push("aborted") };
      },
    }),
    settings: SETTINGS,
    log: createLogger("test", { level: "silent" }),
  });
  return { store, requests, watches, emit: (type: WatchEventType, p: Performer) => emit!(type, p) };
}

describe("the Performer store over the apiserver", () => {
  it("lists, creates and deletes the executor's Performers in its namespace", async () => {
    const a = adapter();
    assert.deepEqual(
      (await a.store.list()).map((p) => p.metadata.name),
      ["a"],
    );
    await a.store.create(performer("b"));
    await a.store.delete("b");
    assert.deepEqual(a.requests, [
      ["list", { ...RESOURCE, labelSelector: MANAGED_SELECTOR }],
      ["create", { ...RESOURCE, body: performer("b") }],
      ["delete", { ...RESOURCE, name: "b" }],
    ]);
    assert.equal(MANAGED_SELECTOR, "app.kubernetes.io/managed-by=hourglass-executor");
  });

  it("bounds every call by kubernetes.connection_timeout", async () => {
    const a = adapter({ hang: true });
    await assert.rejects(
      a.store.list(),
      /^DeadlineError: listing Performers \(kubernetes\.connection_timeout\): no answer within 100 ms$/,
    );
    await assert.rejects(
      a.store.create(performer("b")),
      /creating Performer b \(kubernetes\.connection_timeout\)/,
    );
    await assert.rejects(a.store.delete("b"), /deleting Performer b \(kubernetes\.connection_timeout\)/);
  });

  it("watches from its own list, fills the cache and tells each subscriber until it unsubscribes", async () => {
    const a = adapter();
    const heard: string[] = [];
    const unsubscribe = a.store.subscribe((p, event: InformerEvent) =>
      heard.push(`${event} ${p.metadata.name}`),
    );
    a.store.watch();
    await until("the watch is open", () => a.watches.length === 1);
    assert.deepEqual(a.watches, ["7"]);
    assert.deepEqual(a.requests, [["list", { ...RESOURCE, labelSelector: MANAGED_SELECTOR }]]);
    assert.equal(a.store.get("a")?.metadata.name, "a");
    a.emit("ADDED", { ...performer("b"), metadata: { ...performer("b").metadata, resourceVersion: "8" } });
    assert.deepEqual(
      a.store
        .cached()
        .map((p) => p.metadata.name)
        .sort(),
      ["a", "b"],
    );
    unsubscribe();
    a.emit("DELETED", performer("a"));
    assert.deepEqual(heard, ["add a", "add b"]);
    assert.equal(a.store.get("a"), undefined);
    await a.store.stopWatching();
    assert.deepEqual(a.watches, ["7", "aborted"]);
  });
});
