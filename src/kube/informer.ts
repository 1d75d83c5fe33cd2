// An informer that stays up: it lists, then watches from the list's resourceVersion, and keeps a cache of the
// objects. What client-node's ListWatch leaves to its caller is done here, as client-go's reflector does it:
// - an error (list or watch) restarts it after a jittered exponential backoff, instead of stopping for good;
// - 410 Gone (an HTTP status or an ERROR event: the resourceVersion was compacted away) relists;
// - a watch that stays silent longer than the watchdog period (bookmarks arrive every minute on a healthy one)
//   is dropped and reopened, since a half-open connection never reports an error;
// - every resync period each cached object is handed to the handler again, so level-triggered consumers
//   re-check everything even if an event was lost.
// A transform, applied to each object before the cache and the handler see it, keeps only what consumers read
// (controller-runtime's cache TransformFunc): managedFields alone are often half of an object.
// Handlers receive objects only to derive keys from; they must not block.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorLogFields, isGone } from "./api-errors.ts";
import { exponentialDelayMs, jittered } from "./backoff.ts";

/** The type of a watch event, as the apiserver sends it. */
export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

/** A list's items with the resourceVersion the watch starts from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** An open watch, which the informer ends when it restarts or stops. */
export interface WatchHandle {
  abort(): void;
}

/** Where an informer gets its objects: the apiserver (apiListWatch), or a fake in tests. */
export interface ListWatchSource<T> {
  /** Lists the collection, keeping of each item what `transform` returns (a source that lists in pages applies
   * it page by page, so that a full page is never held longer than it takes to read it). */
  list(transform: (object: T) => T): Promise<ListResult<T>>;
  /** Opens a watch from `resourceVersion`. `onClose` is called once when it ends: without an argument when the
   * server closed it normally, with the error otherwise (also when the watch could not be opened). */
  watch(
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: T) => void,
    onClose: (error?: unknown) => void,
  ): Promise<WatchHandle>;
}

/** What an informer tells its handler of an object: added, updated, deleted, or handed again by the resync. */
export type InformerEvent = "add" | "update" | "delete" | "resync";

/** What an informer watches, whom it tells, what it caches of each object, and its timings. */
export interface InformerOptions<T> {
  /** Names the informer in logs, e.g. `performers`. */
  name: string;
  source: ListWatchSource<T>;
  onEvent: (object: T, event: InformerEvent) => void;
  /** What the cache keeps of each listed or watched object; the object as received when absent. */
  transform?: (object: T) => T;
  logger: Logger;
  resyncPeriodMs?: number;
  watchdogMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** In [0, 1); the jitter's source. */
  random?: () => number;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error), { cause: error });
}

/** An object's `namespace/name` (or `name` when cluster-scoped), the key of caches and work queues. */
export function objectKey(object: KubernetesObject): string {
  const { namespace, name } = object.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

/** How a watch ended. */
type WatchEnd =
  | { kind: "closed"; events: number }
  | { kind: "silent" }
  | { kind: "gone" }
  | { kind: "stopped" };

/** Keeps a cache of a collection by list and watch, restarting on errors, relisting on 410 and reopening
 * silent watches. */
export class Informer<T extends KubernetesObject> {
  readonly #options: Required<
    Omit<InformerOptions<T>, "logger" | "source" | "onEvent" | "name" | "transform">
  >;
  readonly #name: string;
  readonly #source: ListWatchSource<T>;
  readonly #onEvent: (object: T, event: InformerEvent) => void;
  readonly #transform: (object: T) => T;
  readonly #logger: Logger;
  readonly #cache = new Map<string, T>();
  /** The same objects by namespace, then key: lookups within one namespace cost what it holds, not the cluster. */
  readonly #byNamespace = new Map<string, Map<string, T>>();
  #resourceVersion = "";
  #synced = false;
  #stopped = false;
  #restarts = 0;
  #running: Promise<void> | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;
  readonly #stop = new AbortController();
  #stopWatch: (() => void) | undefined;

  constructor(options: InformerOptions<T>) {
    this.#name = options.name;
    this.#source = options.source;
    this.#onEvent = options.onEvent;
    this.#transform = options.transform ?? ((object) => object);
    this.#logger = options.logger.child({ informer: options.name });
    this.#options = {
      resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000,
      watchdogMs: options.watchdogMs ?? 3 * 60_000,
      backoffInitialMs: options.backoffInitialMs ?? 800,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      random: options.random ?? Math.random,
    };
  }

  /** Starts listing and watching, and the periodic resync; a second call does nothing. */
  start(): void {
    if (this.#running) return;
    this.#running = this.#run();
    this.#resyncTimer = setInterval(() => this.#resync(), this.#options.resyncPeriodMs);
    this.#resyncTimer.unref();
  }

  /** Ends the watch and the resync, and resolves when the informer has stopped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#resyncTimer);
    this.#stop.abort();
    this.#stopWatch?.();
    await this.#running;
  }

  /** True once the first list has been delivered to the handler. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The cached object of that namespace and name. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /** The cached objects of one namespace. */
  listNamespace(namespace: string): T[] {
    return [...(this.#byNamespace.get(namespace)?.values() ?? [])];
  }

  /** How many times the list-watch was restarted after an error or a silent watch. */
  restarts(): number {
    return this.#restarts;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (!this.#resourceVersion) {
          await this.#relist();
          failures = 0;
        }
        const end = await this.#watch();
        if (end.kind === "gone") {
          this.#logger.info("watch expired (410 Gone); relisting");
          this.#resourceVersion = "";
          continue;
        }
        if (end.kind === "stopped") return;
        if (end.kind === "closed" && end.events > 0) {
          failures = 0;
          continue;
        }
        // Closed without a single event, or silent past the watchdog: reopen, but not in a tight loop.
        failures++;
        if (end.kind === "silent") {
          this.#restarts++;
          this.#logger.warn(
            { watchdogMs: this.#options.watchdogMs },
            "watch silent past the watchdog; reopening",
          );
        }
      } catch (error) {
        if (this.#stopped) return;
        if (isGone(error) || isGone((error as Error).cause)) {
          this.#logger.info("resourceVersion expired (410 Gone); relisting");
          this.#resourceVersion = "";
          continue;
        }
        failures++;
        this.#restarts++;
        this.#logger.warn(
          { ...errorLogFields(error), failures },
          "list-watch failed; restarting after backoff",
        );
      }
      const delay = jittered(
        exponentialDelayMs(failures, this.#options.backoffInitialMs, this.#options.backoffMaxMs),
        0.5,
        this.#options.random,
      );
      if (delay > 0) await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
    }
  }

  async #relist(): Promise<void> {
    const { items, resourceVersion } = await this.#source.list(this.#transform);
    const listed = new Map(items.map((item) => [objectKey(item), item]));
    for (const [key, old] of this.#cache) {
      if (!listed.has(key)) {
        this.#remove(key, old);
        this.#onEvent(old, "delete");
      }
    }
    for (const [key, item] of listed) {
      const old = this.#cache.get(key);
      this.#put(key, item);
      if (!old) this.#onEvent(item, "add");
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.#onEvent(item, "update");
    }
    this.#resourceVersion = resourceVersion;
    if (!this.#synced) this.#logger.debug({ objects: items.length }, "synced");
    this.#synced = true;
  }

  #watch(): Promise<WatchEnd> {
    // stop() during a list finds no watch to end; the list returning must not open one that stop() then waits for.
    if (this.#stopped) return Promise.resolve({ kind: "stopped" });
    return new Promise<WatchEnd>((resolve, reject) => {
      let events = 0;
      let settled = false;
      let handle: WatchHandle | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        this.#stopWatch = undefined;
        handle?.abort();
        if (end instanceof Error) reject(end);
        else resolve(end);
      };
      const armWatchdog = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => finish({ kind: "silent" }), this.#options.watchdogMs);
        watchdog.unref();
      };
      this.#stopWatch = () => finish({ kind: "stopped" });
      const onEvent = (type: WatchEventType, received: T) => {
        if (settled) return;
        armWatchdog();
        if (type === "ERROR") {
          if (isGone(received)) finish({ kind: "gone" });
          else finish(new Error(`watch error event: ${JSON.stringify(received)}`, { cause: received }));
          return;
        }
        events++;
        const version = received.metadata?.resourceVersion;
        if (version) this.#resourceVersion = version;
        if (type === "BOOKMARK") return;
        const object = this.#transform(received);
        const key = objectKey(object);
        if (type === "DELETED") {
          this.#remove(key, object);
          this.#onEvent(object, "delete");
          return;
        }
        const existed = this.#cache.has(key);
        this.#put(key, object);
        this.#onEvent(object, existed ? "update" : "add");
      };
      const onClose = (error?: unknown) => {
        if (error) finish(asError(error));
        else finish({ kind: "closed", events });
      };
      armWatchdog();
      this.#source.watch(this.#resourceVersion, onEvent, onClose).then(
        (h) => {
          handle = h;
          if (settled) h.abort();
        },
        (error) => finish(asError(error)),
      );
    });
  }

  #put(key: string, object: T): void {
    this.#cache.set(key, object);
    const namespace = object.metadata?.namespace ?? "";
    let inNamespace = this.#byNamespace.get(namespace);
    if (!inNamespace) {
      inNamespace = new Map();
      this.#byNamespace.set(namespace, inNamespace);
    }
    inNamespace.set(key, object);
  }

  #remove(key: string, object: T): void {
    this.#cache.delete(key);
    const namespace = object.metadata?.namespace ?? "";
    const inNamespace = this.#byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.#byNamespace.delete(namespace);
  }

  #resync(): void {
    for (const object of this.#cache.values()) this.#onEvent(object, "resync");
  }
}
