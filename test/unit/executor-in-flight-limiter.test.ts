import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlightLimiter } from "../../src/executor/in-flight-limiter.ts";

describe("InFlightLimiter", () => {
  it("grants up to the limit and refuses beyond it", () => {
    const limiter = new InFlightLimiter(2);
    assert.equal(limiter.tryAcquire(), true);
    assert.equal(limiter.tryAcquire(), true);
    assert.equal(limiter.tryAcquire(), false);
    assert.equal(limiter.count, 2);
    limiter.release();
    assert.equal(limiter.tryAcquire(), true);
  });

  it("resolves idle() when the last slot is released", async () => {
    const limiter = new InFlightLimiter(3);
    limiter.tryAcquire();
    limiter.tryAcquire();
    let idle = false;
    const waiting = limiter.idle().then(() => {
      idle = true;
    });
    limiter.release();
    await Promise.resolve();
    assert.equal(idle, false);
    limiter.release();
    await waiting;
    assert.equal(idle, true);
  });

  it("is idle at once when nothing runs", async () => {
    await new InFlightLimiter(1).idle();
  });

  it("refuses a release without an acquire, and a limit below 1", () => {
    assert.throws(() => new InFlightLimiter(1).release(), /without a matching tryAcquire/);
    assert.throws(() => new InFlightLimiter(0), /positive integer/);
  });
});
