// A recording fake of the PerformerStore: `calls` lists what was asked of the cluster, in order; `cluster` is
// what the apiserver holds after the writes; the cache and the listeners hear of a write only when the test (or
// `watchWrites`) delivers its event, as a watch would.
import { ApiException } from "@kubernetes/client-node";
import type { Performer } from "../../src/api/performer.ts";
import type { PerformerListener, PerformerStore } from "../../src/executor/performer-store.ts";
import type { InformerEvent } from "../../src/kube/informer.ts";

export const NAMESPACE = "avs-ns";

/** An error as client-node throws it for an apiserver answer with this HTTP status. */
export function apiError(code: number, message = `HTTP ${code}`): ApiException<string> {
  return new ApiException(code, message, JSON.stringify({ kind: "Status", message }), {});
}

/** The status the controller writes once the Performer's Pod is Ready. */
export function readyStatus(performer: Performer): Performer {
  return {
    ...performer,
    status: {
      phase: "Running",
      podName: `pod-${performer.metadata.name}`,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "PodReady",
          message: "ready",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
    },
  };
}

/** A creationTimestamp as the store's cache holds it: the watch's string (the typed client's Date type says
 * otherwise). */
export function timestamp(rfc3339: string): Date {
  return rfc3339 as unknown as Date;
}

type Step = "list" | "create" | "delete";

export function fakePerformerStore(initial: Performer[] = []) {
  const calls: string[] = [];
  const cluster = new Map(initial.map((p) => [p.metadata.name!, p]));
  const cache = new Map<string, Performer>();
  const listeners = new Set<PerformerListener>();
  /** Errors the next calls of each kind throw, in order. */
  const failures: Record<Step, unknown[]> = { list: [], create: [], delete: [] };
  /** When set, calls of that kind answer only once the promise resolves. */
  const gates: Partial<Record<Step, Promise<void>>> = {};
  /** Deliver the watch event of each write on the next turn; created Performers turn Ready with it. */
  const watchWrites = { creates: true, deletes: true, ready: true };
  let created = 0;

  function deliver(performer: Performer, event: InformerEvent): void {
    if (event === "delete") cache.delete(performer.metadata.name!);
    else cache.set(performer.metadata.name!, performer);
    for (const listener of [...listeners]) listener(performer, event);
  }

  async function step(kind: Step, call: string): Promise<void> {
    calls.push(call);
    await gates[kind];
    const failure = failures[kind].shift();
    if (failure !== undefined) throw failure;
  }

  const store: PerformerStore = {
    namespace: NAMESPACE,
    async list() {
      await step("list", "list");
      return [...cluster.values()];
    },
    async create(performer) {
      const name = performer.metadata.name!;
      await step("create", `create ${name}`);
      if (cluster.has(name)) throw apiError(409, `performers "${name}" already exists`);
      const stored: Performer = {
        ...performer,
        metadata: {
          ...performer.metadata,
          namespace: NAMESPACE,
          creationTimestamp: timestamp(`2026-01-01T00:00:${String(10 + ++created)}Z`),
        },
      };
      cluster.set(name, stored);
      if (watchWrites.creates) {
        setImmediate(() => deliver(watchWrites.ready ? readyStatus(stored) : stored, "add"));
      }
    },
    async delete(name) {
      await step("delete", `delete ${name}`);
      const gone = cluster.get(name);
      if (!gone) throw apiError(404, `performers "${name}" not found`);
      cluster.delete(name);
      if (watchWrites.deletes) setImmediate(() => deliver(gone, "delete"));
    },
    watch() {
      calls.push("watch");
      for (const performer of cluster.values()) deliver(performer, "add");
    },
    async stopWatching() {
      calls.push("stopWatching");
    },
    get: (name) => cache.get(name),
    cached: () => [...cache.values()],
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { store, calls, cluster, cache, listeners, failures, gates, watchWrites, deliver };
}
