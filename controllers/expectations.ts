// What this controller just did and its informer cache may not show yet. Caches lag writes; a reconcile that ran
// between a write and its watch event would otherwise create the same child again or miss that it is going.
// The pattern is the ReplicaSet controller's "expectations": remember the write until the cache shows it, or
// until it is old enough that the cache, not memory, must be right.
import type { KubernetesObject } from "@kubernetes/client-node";

interface Expectation<T> {
  action: "created" | "deleted";
  object: T;
  at: number;
}

/** Creations and deletions this controller made that its cache may not show yet, by key, for a bounded time. */
export class Expectations<T extends KubernetesObject> {
  readonly #byKey = new Map<string, Expectation<T>>();
  readonly #ttlMs: number;

  constructor(ttlMs = 30_000) {
    this.#ttlMs = ttlMs;
  }

  /** Remembers that this controller created `object` under `key` at `now`. */
  created(key: string, object: T, now: number): void {
    this.#byKey.set(key, { action: "created", object, at: now });
  }

  /** Remembers that this controller deleted `object` under `key` at `now`. */
  deleted(key: string, object: T, now: number): void {
    this.#byKey.set(key, { action: "deleted", object, at: now });
  }

  /**
   * The object to believe for `key` given what the cache holds: a created object the cache does not show yet, or
   * the cached object marked as being deleted when we deleted it and the cache still has it. Once the cache has
   * caught up (or the expectation is stale) the cached object is the truth and the expectation is dropped.
   */
  reconcile(key: string, cached: T | undefined, now: number): T | undefined {
    const expected = this.#byKey.get(key);
    if (!expected) return cached;
    const uid = expected.object.metadata?.uid;
    const fresh = now - expected.at < this.#ttlMs;
    if (expected.action === "created" && fresh && cached?.metadata?.uid !== uid) return expected.object;
    if (expected.action === "deleted" && fresh && cached && cached.metadata?.uid === uid) {
      return { ...cached, metadata: { ...cached.metadata, deletionTimestamp: new Date(expected.at) } } as T;
    }
    this.#byKey.delete(key);
    return cached;
  }
}
