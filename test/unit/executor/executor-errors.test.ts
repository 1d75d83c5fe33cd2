import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  asServiceError,
  ERROR_CODE_TRAILER,
  EXECUTOR_ERRORS,
  type ExecutorErrorKind,
  executorError,
  isExecutorError,
} from "../../../src/executor/executor-errors.ts";
import { statusError } from "../../../src/grpc/status.ts";

describe("the executor's error table", () => {
  it("gives every kind its own stable HG_ERR_ code", () => {
    const codes = Object.values(EXECUTOR_ERRORS).map((kind) => kind.code);
    assert.equal(new Set(codes).size, codes.length, "two kinds share a code");
    for (const code of codes) assert.match(code, /^HG_ERR_[A-Z0-9_]+$/);
  });

  it("answers each kind with a gRPC status, never OK", () => {
    const kinds: Record<string, ExecutorErrorKind> = EXECUTOR_ERRORS;
    for (const [name, kind] of Object.entries(kinds)) {
      assert.ok(status[kind.status] !== undefined && kind.status !== status.OK, name);
    }
  });

  it("builds a status error that carries the code in its trailer and the message as details", () => {
    const error = executorError(EXECUTOR_ERRORS.queueFull, "the queue is full; retry later");
    assert.equal(error.code, status.RESOURCE_EXHAUSTED);
    assert.equal(error.details, "the queue is full; retry later");
    assert.deepEqual(error.metadata.get(ERROR_CODE_TRAILER), ["HG_ERR_QUEUE_FULL"]);
    assert.equal(error.message, "RESOURCE_EXHAUSTED: the queue is full; retry later");
    assert.ok(isExecutorError(error));
  });

  it("lets the performer's failure keep the performer's status", () => {
    const error = executorError(EXECUTOR_ERRORS.performerFailed, "bad payload", status.INVALID_ARGUMENT);
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.deepEqual(error.metadata.get(ERROR_CODE_TRAILER), ["HG_ERR_PERFORMER_FAILED"]);
  });

  it("answers anything that is not a status error as INTERNAL, with its message and context", () => {
    const answer = asServiceError(new TypeError("x is undefined"), "task t-1");
    assert.equal(answer.code, status.INTERNAL);
    assert.equal(answer.details, "task t-1: x is undefined");
    assert.deepEqual(answer.metadata.get(ERROR_CODE_TRAILER), ["HG_ERR_INTERNAL"]);
    const kept = statusError(status.ABORTED, "in progress");
    assert.equal(asServiceError(kept, "ctx"), kept);
  });
});
