// The one deadline helper: what it returns, and that what it gives up on is cancelled, not left running.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestContext } from "@kubernetes/client-node";
import { DeadlineError, requestOptions, withDeadline } from "../../../src/kube/deadline.ts";

/** A call that never answers unless aborted, and remembers the signal it was given. */
function hanging(): { call: (signal: AbortSignal) => Promise<never>; signal: () => AbortSignal | undefined } {
  let given: AbortSignal | undefined;
  return {
    call: (signal) => {
      given = signal;
      return new Promise<never>(() => {});
    },
    signal: () => given,
  };
}

test("a call that answers in time gives its value, and its signal stays unaborted", async () => {
  let given: AbortSignal | undefined;
  const value = await withDeadline("reading", 1_000, async (signal) => {
    given = signal;
    return 42;
  });
  assert.equal(value, 42);
  assert.equal(given?.aborted, false);
});

test("a call past its deadline is a DeadlineError naming it, and its signal is aborted", async () => {
  const call = hanging();
  await assert.rejects(withDeadline("reading the Lease", 20, call.call), (error: unknown) => {
    assert.ok(error instanceof DeadlineError);
    assert.equal(error.message, "reading the Lease: no answer within 20 ms");
    assert.equal(error.timeoutMs, 20);
    return true;
  });
  assert.equal(call.signal()?.aborted, true);
});

test("the caller's abort ends the call at once with the caller's reason, and aborts the call's signal", async () => {
  const call = hanging();
  const parent = new AbortController();
  const pending = withDeadline("reading", 60_000, call.call, parent.signal);
  parent.abort(new Error("stopping"));
  await assert.rejects(pending, /^Error: stopping$/);
  assert.equal(call.signal()?.aborted, true);
});

test("a caller already aborted does not wait for the call", async () => {
  const call = hanging();
  await assert.rejects(
    withDeadline("reading", 60_000, call.call, AbortSignal.abort(new Error("gone"))),
    /gone/,
  );
});

test("a call's own failure passes through unchanged", async () => {
  const failure = new Error("HTTP 403");
  await assert.rejects(
    withDeadline("reading", 1_000, async () => {
      throw failure;
    }),
    (error) => error === failure,
  );
});

test("requestOptions puts the signal on client-node's request", async () => {
  const controller = new AbortController();
  const options = requestOptions(controller.signal);
  const context = new RequestContext("https://127.0.0.1:1/api", "GET" as never);
  const after = await options?.middleware?.[0]?.pre(context).toPromise();
  assert.equal(after?.getSignal(), controller.signal);
  assert.equal(options?.middlewareMergeStrategy, "append");
  assert.equal(requestOptions(undefined), undefined);
});
