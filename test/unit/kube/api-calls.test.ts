// Bounded and repeated apiserver calls: which failures are repeated, within which budget, and how an abort ends
// the waits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { persistently, retryDelayMs } from "../../../src/kube/api-calls.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { apiError } from "../../support/fake-performer-store.ts";

const log = createLogger("test", { level: "silent" });

describe("apiserver calls", () => {
  it("repeats what the apiserver cannot serve yet, never a refusal", () => {
    const half = () => 0.5;
    assert.equal(retryDelayMs(apiError(503), 1, 10_000, half), 250);
    assert.equal(retryDelayMs(apiError(429), 2, 10_000, half), 500);
    assert.equal(retryDelayMs(new Error("socket hang up"), 10, 10_000, half), 6_250);
    for (const code of [400, 403, 404, 409, 422])
      assert.equal(retryDelayMs(apiError(code), 1, 10_000, half), undefined);
  });

  it("gives up when the next wait would pass the budget", () => {
    assert.equal(
      retryDelayMs(apiError(503), 1, 249, () => 0.5),
      undefined,
    );
  });

  it("makes one attempt per failure until one succeeds", async () => {
    const attempts: number[] = [];
    const got = await persistently(
      "listing",
      async () => {
        attempts.push(attempts.length + 1);
        if (attempts.length < 3) throw apiError(503);
        return "listed";
      },
      { budgetMs: 5_000, signal: new AbortController().signal, log, random: () => 0 },
    );
    assert.equal(got, "listed");
    assert.deepEqual(attempts, [1, 2, 3]);
  });

  it("throws a refusal after one attempt", async () => {
    let attempts = 0;
    const refusal = apiError(403, "forbidden");
    await assert.rejects(
      persistently(
        "creating",
        async () => {
          attempts++;
          throw refusal;
        },
        { budgetMs: 5_000, signal: new AbortController().signal, log },
      ),
      (error) => error === refusal,
    );
    assert.equal(attempts, 1);
  });

  it("when aborted, wakes from its wait for one last attempt whose failure is final", {
    timeout: 5_000,
  }, async () => {
    const abort = new AbortController();
    let attempts = 0;
    const work = persistently(
      "deleting",
      async () => {
        attempts++;
        if (attempts === 1) setTimeout(() => abort.abort(), 10);
        throw apiError(503);
      },
      { budgetMs: 60_000, signal: abort.signal, log, random: () => 0 },
    );
    // The first wait would be 200 ms; the abort comes after 10 and ends it.
    await assert.rejects(work, (error: { code?: number }) => error.code === 503);
    assert.equal(attempts, 2);
  });
});
