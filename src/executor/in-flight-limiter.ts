// A bound on the tasks one performer works on at once. Over the bound the executor says RESOURCE_EXHAUSTED at
// once instead of queueing: the aggregator retries or goes elsewhere, and the executor's memory stays bounded.
export class InFlightLimiter {
  readonly limit: number;
  #count = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`in-flight limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get count(): number {
    return this.#count;
  }

  /** Takes a slot when one is free; false when the limit is reached. */
  tryAcquire(): boolean {
    if (this.#count >= this.limit) return false;
    this.#count++;
    return true;
  }

  release(): void {
    if (this.#count === 0) throw new Error("InFlightLimiter.release without a matching tryAcquire");
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
