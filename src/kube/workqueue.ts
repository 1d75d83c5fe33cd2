// A work queue of object keys with the semantics of client-go's workqueue, which controller-runtime uses:
// a key is queued at most once however often it is added (de-duplication); a key being processed is never handed
// to a second worker, and if it is added meanwhile it is queued again when the first worker is done; failed keys
// come back after a per-key exponential backoff (5 ms doubling to 1000 s) that success resets.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { exponentialDelayMs } from "./backoff.ts";

/** A work queue's name in its metrics, and its per-key retry backoff. */
export interface WorkQueueOptions {
  /** The `name` label of the queue's metrics. */
  name: string;
  registry: Registry;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** controller-runtime's workqueue metrics: depth, adds, retries and work duration, by queue name. */
export interface WorkQueueMetrics {
  depth: Gauge<"name">;
  adds: Counter<"name">;
  retries: Counter<"name">;
  workDuration: Histogram<"name">;
}

const metricsByRegistry = new WeakMap<Registry, WorkQueueMetrics>();

/** The queue metrics on `registry`, registered once however many queues share it. */
export function workQueueMetrics(registry: Registry): WorkQueueMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      depth: new Gauge({
        name: "hourglass_workqueue_depth",
        help: "Current depth of the work queue",
        labelNames: ["name"],
        registers,
      }),
      adds: new Counter({
        name: "hourglass_workqueue_adds_total",
        help: "Total number of adds handled by the work queue",
        labelNames: ["name"],
        registers,
      }),
      retries: new Counter({
        name: "hourglass_workqueue_retries_total",
        help: "Total number of retries handled by the work queue",
        labelNames: ["name"],
        registers,
      }),
      workDuration: new Histogram({
        name: "hourglass_workqueue_work_duration_seconds",
        help: "How long in seconds processing an item from the work queue takes",
        labelNames: ["name"],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Hands object keys to workers as client-go's workqueue does: de-duplicated, one worker per key, failures
 * backed off. */
export class WorkQueue {
  readonly #name: string;
  readonly #metrics: WorkQueueMetrics;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  /** Keys waiting for a worker, in order. */
  readonly #queue: string[] = [];
  /** Keys that need processing: queued, or added while being processed. */
  readonly #dirty = new Set<string>();
  /** Keys a worker holds, with when it took them. */
  readonly #processing = new Map<string, number>();
  readonly #failures = new Map<string, number>();
  readonly #delayed = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  readonly #waiting: ((key: string | undefined) => void)[] = [];
  #shuttingDown = false;
  #drained: (() => void) | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: WorkQueueOptions) {
    this.#name = options.name;
    this.#metrics = workQueueMetrics(options.registry);
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000_000;
    this.#metrics.depth.set({ name: this.#name }, 0);
  }

  /** Queues a key unless it is queued already; a key in progress is queued again when its worker is done. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics.adds.inc({ name: this.#name });
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds `key` once `delayMs` has passed; of two pending delays for one key, the one due first wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = performance.now() + delayMs;
    const pending = this.#delayed.get(key);
    if (pending && pending.due <= due) return;
    clearTimeout(pending?.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#delayed.set(key, { timer, due });
  }

  /** Adds `key` after its backoff, which doubles with each consecutive failure. */
  addRateLimited(key: string): void {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    this.#metrics.retries.inc({ name: this.#name });
    this.addAfter(key, this.backoffMs(key));
  }

  /** The delay the next addRateLimited of `key` will use, given the failures so far. */
  backoffMs(key: string): number {
    return exponentialDelayMs(this.#failures.get(key) ?? 0, this.#baseDelayMs, this.#maxDelayMs);
  }

  /** Clears the failure count of `key`: call it when the key was processed successfully. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How often the key has failed since it last succeeded (its backoff grows with it). */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** The next key for a worker, waiting until there is one; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Tells the queue a worker finished `key`; a key added meanwhile goes back in the queue. */
  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics.workDuration.observe({ name: this.#name }, (performance.now() - started) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  /** How many keys wait for a worker now. */
  len(): number {
    return this.#queue.length;
  }

  /** Stops handing out keys (waiting workers get undefined) and resolves once every key in progress is done. */
  shutDown(): Promise<void> {
    if (this.#draining) return this.#draining;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    this.#metrics.depth.set({ name: this.#name }, 0);
    for (const resolve of this.#waiting.splice(0)) resolve(undefined);
    this.#draining =
      this.#processing.size === 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            this.#drained = resolve;
          });
    return this.#draining;
  }

  #enqueue(key: string): void {
    const waiter = this.#waiting.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.set(key, performance.now());
      waiter(key);
      return;
    }
    this.#queue.push(key);
    this.#metrics.depth.set({ name: this.#name }, this.#queue.length);
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#metrics.depth.set({ name: this.#name }, this.#queue.length);
    this.#dirty.delete(key);
    this.#processing.set(key, performance.now());
    return key;
  }
}
