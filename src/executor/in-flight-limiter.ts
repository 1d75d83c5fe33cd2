// A bound on the tasks one performer works on at once, with a bounded queue in front of it: a burst above the
// bound waits (first come, first served) until a slot frees or its deadline passes, and only a task that finds
// the queue full is refused at once, so that the executor's memory stays bounded.

/** Thrown by acquire() when the limit is reached and the queue is full. */
export class QueueFullError extends Error {}

/** Gives the slot back; calling it again does nothing, so a task may release on abort and again when it ends. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
}

/** Bounds one performer's concurrent tasks, queueing a bounded number more until their deadline. */
export class InFlightLimiter {
  /** The most tasks the performer is given at once. */
  readonly limit: number;
  /** The most tasks that wait for a slot; beyond it a task is refused at once. */
  readonly maxQueued: number;
  #count = 0;
  #queue: Waiter[] = [];
  #idleWaiters: Array<() => void> = [];

  constructor(limit: number, maxQueued = 0) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`in-flight limit must be a positive integer, got ${limit}`);
    if (!Number.isInteger(maxQueued) || maxQueued < 0)
      throw new Error(`queue bound must be a non-negative integer, got ${maxQueued}`);
    this.limit = limit;
    this.maxQueued = maxQueued;
  }

  /** Slots taken now. */
  get count(): number {
    return this.#count;
  }

  /** Tasks waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Takes a slot: at once when one is free, else after the tasks queued before it. Rejects with QueueFullError
   * when the queue is full, and with `signal.reason` when the signal aborts first (the task leaves the queue).
   */
  acquire(signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#count < this.limit) {
      this.#count++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.maxQueued) return Promise.reject(new QueueFullError());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  #release(): void {
    // A waiting task takes the slot over directly: the count stays, and nothing can slip in between.
    const next = this.#queue.shift();
    if (next) {
      next.grant(this.#releaser());
      return;
    }
    this.#count--;
    if (this.#count === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when no task holds a slot (at once if none does). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
