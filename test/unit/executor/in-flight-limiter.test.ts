import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlightLimiter, QueueFullError, type Release } from "../../../src/executor/in-flight-limiter.ts";

const never = new AbortController().signal;

/** Whether the promise has settled after pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("InFlightLimiter", () => {
  it("grants up to the limit at once, queues up to the bound, and refuses beyond it", async () => {
    const limiter = new InFlightLimiter(2, 1);
    const a = await limiter.acquire(never);
    await limiter.acquire(never);
    const queued = limiter.acquire(never);
    assert.equal(await settled(queued), false);
    assert.deepEqual([limiter.count, limiter.queued], [2, 1]);
    await assert.rejects(limiter.acquire(never), QueueFullError);
    a();
    const c = await queued;
    assert.deepEqual([limiter.count, limiter.queued], [2, 0]);
    assert.equal(typeof c, "function");
  });

  it("hands freed slots to waiting tasks first come, first served", async () => {
    const limiter = new InFlightLimiter(1, 3);
    const first = await limiter.acquire(never);
    const order: string[] = [];
    const waiting = ["b", "c", "d"].map((name) =>
      limiter.acquire(never).then((release) => {
        order.push(name);
        return release;
      }),
    );
    first();
    (await waiting[0]!)();
    (await waiting[1]!)();
    (await waiting[2]!)();
    assert.deepEqual(order, ["b", "c", "d"]);
    assert.equal(limiter.count, 0);
  });

  it("a waiting task whose signal aborts leaves the queue with the signal's reason, its place freed", async () => {
    const limiter = new InFlightLimiter(1, 1);
    const held = await limiter.acquire(never);
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort("gone");
    await assert.rejects(waiting, (reason) => reason === "gone");
    assert.equal(limiter.queued, 0);
    const next = limiter.acquire(never);
    held();
    (await next)();
    assert.equal(limiter.count, 0);
  });

  it("refuses at once a task whose signal has already aborted", async () => {
    const limiter = new InFlightLimiter(1);
    await assert.rejects(limiter.acquire(AbortSignal.abort("late")), (reason) => reason === "late");
    assert.equal(limiter.count, 0);
  });

  it("counts a release once however often it is called", async () => {
    const limiter = new InFlightLimiter(2);
    const release: Release = await limiter.acquire(never);
    await limiter.acquire(never);
    release();
    release();
    assert.equal(limiter.count, 1);
  });

  it("resolves idle() when the last slot is released", async () => {
    const limiter = new InFlightLimiter(3);
    const a = await limiter.acquire(never);
    const b = await limiter.acquire(never);
    const waiting = limiter.idle();
    a();
    assert.equal(await settled(waiting), false);
    b();
    assert.equal(await settled(waiting), true);
  });

  it("is idle at once when nothing runs, and refuses bad bounds", async () => {
    await new InFlightLimiter(1).idle();
    assert.throws(() => new InFlightLimiter(0), /positive integer/);
    assert.throws(() => new InFlightLimiter(1, -1), /non-negative integer/);
  });
});
