import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { isSafeToRetry } from "../../../src/executor/retry-policy.ts";

describe("isSafeToRetry", () => {
  it("retries what the performer cannot have run", () => {
    assert.equal(
      isSafeToRetry(status.UNAVAILABLE, "No connection established. Last error: connect ECONNREFUSED"),
      true,
    );
    assert.equal(isSafeToRetry(status.RESOURCE_EXHAUSTED, "busy"), true);
  });

  it("answers everything else as is", () => {
    assert.equal(isSafeToRetry(status.UNAVAILABLE, "Connection dropped"), false);
    assert.equal(isSafeToRetry(status.DEADLINE_EXCEEDED, "Deadline exceeded"), false);
    assert.equal(isSafeToRetry(status.INTERNAL, "boom"), false);
    assert.equal(isSafeToRetry(status.INVALID_ARGUMENT, "bad payload"), false);
  });
});
