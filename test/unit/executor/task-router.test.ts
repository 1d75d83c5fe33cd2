import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { type Logger, pino } from "pino";
import { ERROR_CODE_TRAILER } from "../../../src/executor/executor-errors.ts";
import { InFlightLimiter } from "../../../src/executor/in-flight-limiter.ts";
import { createExecutorMetrics } from "../../../src/executor/metrics.ts";
import { operatorSigner, parsePrivateKeyHex, recoverSigner } from "../../../src/executor/operator-signer.ts";
import type { PerformerConnection } from "../../../src/executor/performer-connection.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { ResultSigner } from "../../../src/executor/result-signer.ts";
import { TaskRouter } from "../../../src/executor/task-router.ts";
import type { TaskRequest, TaskResponse, TaskSubmission } from "../../../src/grpc/messages.ts";
import { isServiceError, statusError } from "../../../src/grpc/status.ts";

const AVS = "0xAbCdEf0123456789abcdef0123456789ABCDEF01";
const OTHER_AVS = "0x1111111111111111111111111111111111111111";
const signer = operatorSigner(parsePrivateKeyHex("11".repeat(32)));
/** The router's seam with the simplest scheme behind it: one signature over the output, no auth signature. */
const outputSigner: ResultSigner = {
  address: signer.address,
  signResult: async (_submission, output) => ({
    result_signature: signer.sign(output),
    auth_signature: Buffer.alloc(0),
  }),
};

type Behaviour = (request: TaskRequest, deadline: Date, signal?: AbortSignal) => Promise<TaskResponse>;

function fakeConnection(behaviour: Behaviour): PerformerConnection & { calls: TaskRequest[] } {
  const calls: TaskRequest[] = [];
  return {
    calls,
    endpoint: "fake:9090",
    executeTask(request, deadline, signal) {
      calls.push(request);
      return behaviour(request, deadline, signal);
    },
    healthCheck: async () => ({ status: "SERVING" }),
    close() {},
  };
}

const echoReversed: Behaviour = async (request) => ({
  task_id: request.task_id,
  result: Buffer.from(request.payload).reverse(),
});

/** A performer that answers each task only when the test says so: `pending[i]()` answers the i-th call waiting. */
function heldPerformer() {
  const pending: Array<() => void> = [];
  const connection = fakeConnection(
    (request) =>
      new Promise((resolve) =>
        pending.push(() => resolve({ task_id: request.task_id, result: Buffer.from("x") })),
      ),
  );
  return { connection, pending };
}

function routerWith(
  connection: PerformerConnection,
  options: {
    limit?: number;
    queue?: number;
    retryAttempts?: number;
    backoffMs?: number;
    signer?: ResultSigner;
    log?: Logger;
  } = {},
) {
  const registry = new PerformerRegistry();
  registry.add({
    performerId: "p-1",
    avsAddress: AVS,
    artifactRegistry: "",
    artifactDigest: "",
    containerId: "",
    connection,
    limiter: new InFlightLimiter(options.limit ?? 10, options.queue ?? 0),
    health: {
      status: "READY_FOR_TASK",
      resourceHealthy: true,
      applicationHealthy: true,
      lastHealthCheck: "",
    },
  });
  registry.activate("p-1");
  const metrics = createExecutorMetrics();
  const router = new TaskRouter({
    registry,
    signer: options.signer ?? outputSigner,
    metrics,
    supportedAvs: [AVS, OTHER_AVS],
    taskTimeoutMs: 5_000,
    retryAttempts: options.retryAttempts ?? 2,
    backoff: { initialMs: options.backoffMs ?? 1, maxMs: 2 * (options.backoffMs ?? 1) },
    ...(options.log ? { log: options.log } : {}),
  });
  return { router, registry, metrics };
}

function task(overrides: Partial<TaskSubmission> = {}): TaskSubmission {
  return {
    task_id: "t-1",
    aggregator_address: "0x2222222222222222222222222222222222222222",
    avs_address: AVS,
    payload: Buffer.from("abc"),
    signature: Buffer.alloc(0),
    operator_set_id: 0,
    reference_timestamp: 0,
    executor_address: "",
    task_block_number: "0",
    version: 0,
    ...overrides,
  };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: status; details: string; errorCode: unknown }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status, got ${error}`);
    return { code: error.code, details: error.details, errorCode: error.metadata.get(ERROR_CODE_TRAILER)[0] };
  }
  assert.fail("expected the task to be refused");
}

describe("TaskRouter", () => {
  it("answers with the performer's output, signed by the operator", async () => {
    const { router, metrics } = routerWith(fakeConnection(echoReversed));
    const result = await router.submitTask(task({ avs_address: AVS.toLowerCase() }));
    assert.equal(result.task_id, "t-1");
    assert.equal(result.avs_address, AVS.toLowerCase());
    assert.deepEqual(result.output, Buffer.from("cba"));
    assert.equal(result.operator_address, signer.address);
    assert.equal(recoverSigner(result.output, result.result_signature), signer.address);
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /hourglass_executor_tasks_total\{avs="0xabcdef0123456789abcdef0123456789abcdef01",result="success"\} 1/,
    );
  });

  it("logs each task at debug (answered or failed, with the reason) and its arrival at trace", async () => {
    const lines: { level: number; msg: string; taskId?: string; result?: string; reason?: string }[] = [];
    const log = pino({ level: "trace" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { router } = routerWith(fakeConnection(echoReversed), { log });
    await router.submitTask(task());
    await rejection(router.submitTask(task({ task_id: "t-2", avs_address: OTHER_AVS.replace("1", "2") })));
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.taskId]),
      [
        [10, "task received", "t-1"],
        [20, "task answered", "t-1"],
        [10, "task received", "t-2"],
        [20, "task failed", "t-2"],
      ],
    );
    assert.equal(lines[3]?.result, "not_found");
    assert.match(lines[3]?.reason ?? "", /serves no AVS/);
  });

  it("echoes operator_set_id and version, and passes the task id's bytes to the performer", async () => {
    const connection = fakeConnection(echoReversed);
    const { router } = routerWith(connection);
    const result = await router.submitTask(task({ operator_set_id: 7, version: 3 }));
    assert.deepEqual([result.operator_set_id, result.version], [7, 3]);
    assert.deepEqual(connection.calls[0]!.task_id, Buffer.from("t-1"));
    assert.deepEqual(result.taskIdBytes, Buffer.from("t-1"));
  });

  it("carries a task id that is not UTF-8 to the performer and back unchanged", async () => {
    const connection = fakeConnection(echoReversed);
    const { router } = routerWith(connection);
    const raw = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80]);
    const result = await router.submitTask(task({ task_id: raw.toString("utf8"), taskIdBytes: raw }));
    assert.deepEqual(connection.calls[0]!.task_id, raw);
    assert.deepEqual(result.taskIdBytes, raw);
  });

  it("signs through the ResultSigner it is given, and says INTERNAL when signing fails", async () => {
    const seen: Array<{ id: string; output: string }> = [];
    const custom: ResultSigner = {
      address: "0x00000000000000000000000000000000000000aa",
      async signResult(submission, output) {
        seen.push({ id: submission.task_id, output: output.toString() });
        return { result_signature: Buffer.from("r"), auth_signature: Buffer.from("a") };
      },
    };
    const result = await routerWith(fakeConnection(echoReversed), { signer: custom }).router.submitTask(
      task(),
    );
    assert.deepEqual(seen, [{ id: "t-1", output: "cba" }]);
    assert.deepEqual([result.result_signature, result.auth_signature], [Buffer.from("r"), Buffer.from("a")]);
    assert.equal(result.operator_address, custom.address);
    const failing: ResultSigner = {
      ...custom,
      signResult: () => Promise.reject(new Error("no key")),
    };
    const refused = await rejection(
      routerWith(fakeConnection(echoReversed), { signer: failing }).router.submitTask(task()),
    );
    assert.deepEqual([refused.code, refused.errorCode], [status.INTERNAL, "HG_ERR_SIGNING_FAILED"]);
    assert.match(refused.details, /no key/);
  });

  it("answers NOT_FOUND naming the AVS asked for, and not the AVSs it serves", async () => {
    const connection = fakeConnection(echoReversed);
    const { router, metrics } = routerWith(connection);
    const { code, details, errorCode } = await rejection(
      router.submitTask(task({ avs_address: "0x9999999999999999999999999999999999999999" })),
    );
    assert.equal(code, status.NOT_FOUND);
    assert.equal(errorCode, "HG_ERR_UNKNOWN_AVS");
    assert.match(details, /0x9999999999999999999999999999999999999999/);
    assert.doesNotMatch(details, new RegExp(`${AVS}|${OTHER_AVS}`, "i"));
    assert.equal(connection.calls.length, 0);
    assert.match(await metrics.registry.metrics(), /tasks_total\{avs="unknown",result="not_found"\} 1/);
  });

  it("answers UNAVAILABLE for a served AVS that has no performer yet", async () => {
    const { router } = routerWith(fakeConnection(echoReversed));
    const { code, details } = await rejection(router.submitTask(task({ avs_address: OTHER_AVS })));
    assert.equal(code, status.UNAVAILABLE);
    assert.match(details, /no performer ready/);
  });

  it("refuses a task without an id", async () => {
    const { router } = routerWith(fakeConnection(echoReversed));
    const { code, details } = await rejection(router.submitTask(task({ task_id: "" })));
    assert.equal(code, status.INVALID_ARGUMENT);
    assert.match(details, /^task_id:/);
  });

  it("retries a performer that could not be reached, then answers", async () => {
    let failures = 2;
    const connection = fakeConnection(async (request, deadline) => {
      if (failures-- > 0)
        throw statusError(status.UNAVAILABLE, "No connection established. Last error: ECONNREFUSED");
      return echoReversed(request, deadline);
    });
    const { router, metrics } = routerWith(connection, { retryAttempts: 2 });
    const result = await router.submitTask(task());
    assert.deepEqual(result.output, Buffer.from("cba"));
    assert.equal(connection.calls.length, 3);
    assert.match(
      await metrics.registry.metrics(),
      /task_retries_total\{avs="0xabcdef0123456789abcdef0123456789abcdef01"\} 2/,
    );
  });

  it("gives its in-flight slot back while it backs off before a retry", async () => {
    let refused = false;
    const connection = fakeConnection(async (request, deadline) => {
      if (request.task_id.toString() === "t-1" && !refused) {
        refused = true;
        throw statusError(status.UNAVAILABLE, "No connection established. Last error: ECONNREFUSED");
      }
      return echoReversed(request, deadline);
    });
    const { router, registry } = routerWith(connection, { limit: 1, backoffMs: 200 });
    const limiter = registry.routeFor(AVS)!.limiter;
    const retrying = router.submitTask(task({ task_id: "t-1" }));
    // Until the first attempt has failed and t-1 is in its backoff (a bounded wait: the slot may never come back).
    for (let i = 0; i < 100 && !(refused && limiter.count === 0); i++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // t-1 now waits out its backoff; the performer's only slot is free for t-2.
    const other = await router.submitTask(task({ task_id: "t-2" }));
    assert.equal(other.task_id, "t-2");
    assert.equal((await retrying).task_id, "t-1");
  });

  it("gives the slot back however the task ends, so failures cannot use up the performer's limit", async () => {
    const endings: Record<string, Behaviour> = {
      "ends with an error from the task": async () => {
        throw statusError(status.INTERNAL, "the task failed");
      },
      "is cut off mid-call": async () => {
        throw statusError(status.UNAVAILABLE, "Connection dropped");
      },
      "runs out of retries": async () => {
        throw statusError(status.UNAVAILABLE, "No connection established. Last error: ECONNREFUSED");
      },
      "passes the deadline": async () => {
        throw statusError(status.DEADLINE_EXCEEDED, "Deadline exceeded");
      },
      "fails outside gRPC": async () => {
        throw new TypeError("a bug");
      },
      "answers another task": async () => ({
        task_id: Buffer.from("someone-else"),
        result: Buffer.from("x"),
      }),
      succeeds: echoReversed,
    };
    for (const [ending, behaviour] of Object.entries(endings)) {
      const { router, registry } = routerWith(fakeConnection(behaviour), { limit: 1, retryAttempts: 1 });
      const limiter = registry.routeFor(AVS)!.limiter;
      // With a limit of 1, a slot kept by the first task would refuse the second with RESOURCE_EXHAUSTED.
      for (const id of ["first", "second"]) {
        await router.submitTask(task({ task_id: id })).catch((error: unknown) => {
          if (isServiceError(error))
            assert.notEqual(error.code, status.RESOURCE_EXHAUSTED, `${ending}: ${id}`);
        });
      }
      assert.equal(limiter.count, 0, `the task that ${ending} kept its slot`);
    }
  });

  it("gives up after retry_attempts retries and says the task was not run", async () => {
    const connection = fakeConnection(async () => {
      throw statusError(status.UNAVAILABLE, "No connection established. Last error: ECONNREFUSED");
    });
    const { router } = routerWith(connection, { retryAttempts: 1 });
    const { code, details } = await rejection(router.submitTask(task()));
    assert.equal(code, status.UNAVAILABLE);
    assert.match(details, /unreachable after 2 attempt\(s\), task t-1 was not run/);
    assert.equal(connection.calls.length, 2);
  });

  it("does not retry a connection dropped mid-task: the performer may have run it", async () => {
    const connection = fakeConnection(async () => {
      throw statusError(status.UNAVAILABLE, "Connection dropped");
    });
    const { router } = routerWith(connection);
    const { code, details } = await rejection(router.submitTask(task()));
    assert.equal(code, status.UNAVAILABLE);
    assert.match(details, /may have run/);
    assert.equal(connection.calls.length, 1);
  });

  it("passes a deadline to the performer and reports DEADLINE_EXCEEDED", async () => {
    let seenDeadline: Date | undefined;
    const connection = fakeConnection(async (_request, deadline) => {
      seenDeadline = deadline;
      throw statusError(status.DEADLINE_EXCEEDED, "Deadline exceeded");
    });
    const { router } = routerWith(connection);
    const callDeadline = new Date(Date.now() + 1_000);
    const { code, details } = await rejection(router.submitTask(task(), { deadline: callDeadline }));
    assert.equal(code, status.DEADLINE_EXCEEDED);
    assert.match(details, /NETWORK_TIMEOUT/);
    // The aggregator's deadline is earlier than the executor's own (5 s) and wins.
    assert.equal(seenDeadline?.getTime(), callDeadline.getTime());
  });

  it("refuses with RESOURCE_EXHAUSTED beyond the in-flight bound with no queue, and recovers when tasks finish", async () => {
    const { connection, pending } = heldPerformer();
    const { router } = routerWith(connection, { limit: 2 });
    const first = router.submitTask(task({ task_id: "a" }));
    const second = router.submitTask(task({ task_id: "b" }));
    const { code, details, errorCode } = await rejection(router.submitTask(task({ task_id: "c" })));
    assert.equal(code, status.RESOURCE_EXHAUSTED);
    assert.equal(errorCode, "HG_ERR_QUEUE_FULL");
    assert.match(details, /2 tasks/);
    for (const release of pending.splice(0)) release();
    assert.equal((await first).task_id, "a");
    assert.equal((await second).task_id, "b");
    const later = router.submitTask(task({ task_id: "d" }));
    while (pending.length === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const release of pending.splice(0)) release();
    assert.equal((await later).task_id, "d");
  });

  it("refuses a task id that is already running, so it is neither run nor answered twice", async () => {
    const { connection, pending } = heldPerformer();
    const release = () => pending.shift()?.();
    const { router } = routerWith(connection);
    const first = router.submitTask(task());
    const { code } = await rejection(router.submitTask(task()));
    assert.equal(code, status.ALREADY_EXISTS);
    release();
    assert.equal((await first).task_id, "t-1");
    assert.equal(connection.calls.length, 1);
  });

  it("queues a burst above the bound until a slot frees, and refuses only beyond the queue", async () => {
    const { connection, pending } = heldPerformer();
    const { router, registry } = routerWith(connection, { limit: 2, queue: 2 });
    const accepted = ["a", "b", "c", "d"].map((id) => router.submitTask(task({ task_id: id })));
    const refused = await rejection(router.submitTask(task({ task_id: "e" })));
    assert.deepEqual([refused.code, refused.errorCode], [status.RESOURCE_EXHAUSTED, "HG_ERR_QUEUE_FULL"]);
    assert.deepEqual([connection.calls.length, registry.routeFor(AVS)!.limiter.queued], [2, 2]);
    while (connection.calls.length < 4 || pending.length > 0) {
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(
      (await Promise.all(accepted)).map((r) => r.task_id),
      ["a", "b", "c", "d"],
    );
  });

  it("a queued task whose deadline passes leaves the queue with DEADLINE_EXCEEDED, never calling the performer", async () => {
    const { connection, pending } = heldPerformer();
    const release = () => pending.shift()?.();
    const { router, registry } = routerWith(connection, { limit: 1, queue: 1 });
    const running = router.submitTask(task({ task_id: "a" }));
    const { code, errorCode } = await rejection(
      router.submitTask(task({ task_id: "b" }), { deadline: new Date(Date.now() + 20) }),
    );
    assert.deepEqual([code, errorCode], [status.DEADLINE_EXCEEDED, "HG_ERR_QUEUE_DEADLINE"]);
    assert.equal(registry.routeFor(AVS)!.limiter.queued, 0);
    release();
    await running;
    assert.equal(connection.calls.length, 1);
  });

  it("a task its caller cancels cancels the performer call and frees its slot at once", async () => {
    const performerSignals: AbortSignal[] = [];
    // The performer never answers on its own; only the cancellation ends the call.
    const connection = fakeConnection(
      (_request, _deadline, signal) =>
        new Promise((_resolve, reject) => {
          performerSignals.push(signal!);
          signal!.addEventListener("abort", () =>
            setTimeout(() => reject(statusError(status.CANCELLED, "Cancelled on client")), 50),
          );
        }),
    );
    const { router, registry } = routerWith(connection, { limit: 1 });
    const limiter = registry.routeFor(AVS)!.limiter;
    const caller = new AbortController();
    const cancelled = router.submitTask(task({ task_id: "a" }), { signal: caller.signal });
    while (performerSignals.length === 0) await new Promise((resolve) => setImmediate(resolve));
    caller.abort();
    assert.equal(performerSignals[0]!.aborted, true);
    // Freed before the cancelled call's own answer (50 ms later) arrives.
    assert.equal(limiter.count, 0);
    const { code, errorCode } = await rejection(cancelled);
    assert.deepEqual([code, errorCode], [status.CANCELLED, "HG_ERR_TASK_CANCELLED"]);
  });

  it("a queued task its caller cancels leaves the queue", async () => {
    const { connection, pending } = heldPerformer();
    const release = () => pending.shift()?.();
    const { router, registry } = routerWith(connection, { limit: 1, queue: 1 });
    const running = router.submitTask(task({ task_id: "a" }));
    const caller = new AbortController();
    const queued = router.submitTask(task({ task_id: "b" }), { signal: caller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(registry.routeFor(AVS)!.limiter.queued, 1);
    caller.abort();
    assert.equal((await rejection(queued)).code, status.CANCELLED);
    assert.equal(registry.routeFor(AVS)!.limiter.queued, 0);
    release();
    await running;
    assert.equal(connection.calls.length, 1);
  });

  it("refuses a performer answer for another task", async () => {
    const connection = fakeConnection(async () => ({
      task_id: Buffer.from("someone-else"),
      result: Buffer.from("x"),
    }));
    const { router } = routerWith(connection);
    const { code, details } = await rejection(router.submitTask(task()));
    assert.equal(code, status.INTERNAL);
    assert.match(details, /must echo task_id/);
  });
});
