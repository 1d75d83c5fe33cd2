// What the kubernetes-mode manager needs of the cluster: the executor's Performers in its namespace, to list,
// create, delete and follow. The manager and the readiness waiter see only this interface; the apiserver adapter
// is kubernetes-performer-store.ts, a recording fake stands in for it in unit tests.
import type { Performer } from "../api/performer.ts";
import type { InformerEvent } from "../kube/informer.ts";

/** Hears one informer event about one of the executor's Performers. */
export type PerformerListener = (performer: Performer, event: InformerEvent) => void;

/** What the watch has seen: the cache, and every change as it arrives. */
export interface PerformerEvents {
  /** The Performer of that name as last seen, if any. */
  get(name: string): Performer | undefined;
  /** Hears every event until the returned function is called. */
  subscribe(listener: PerformerListener): () => void;
}

/** The executor's Performers in its namespace, listed, created, deleted and watched; a fake replaces it in
 * tests. */
export interface PerformerStore extends PerformerEvents {
  /** The namespace the Performers live in, for messages. */
  readonly namespace: string;
  /** The executor's Performers as the apiserver has them now (not the cache). */
  list(): Promise<Performer[]>;
  /** Rejects with the apiserver's error (409 when the name exists). */
  create(performer: Performer): Promise<void>;
  /** Rejects with the apiserver's error (404 when it is gone). */
  delete(name: string): Promise<void>;
  /** Starts the watch that fills the cache and feeds the listeners. */
  watch(): void;
  /** Everything in the cache. */
  cached(): Performer[];
  /** Stops the watch. */
  stopWatching(): Promise<void>;
}
