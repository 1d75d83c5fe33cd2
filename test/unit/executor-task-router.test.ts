import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { type Logger, pino } from "pino";
import { InFlightLimiter } from "../../src/executor/in-flight-limiter.ts";
import { createExecutorMetrics } from "../../src/executor/metrics.ts";
import { operatorSigner, parsePrivateKeyHex, recoverSigner } from "../../src/executor/operator-signer.ts";
import type { PerformerConnection } from "../../src/executor/performer-connection.ts";
import { PerformerRegistry } from "../../src/executor/performer-registry.ts";
import { TaskRouter } from "../../src/executor/task-router.ts";
import type { TaskRequest, TaskResponse, TaskSubmission } from "../../src/grpc/messages.ts";
import { isServiceError, statusError } from "../../src/grpc/status.ts";

const AVS = "0xAbCdEf0123456789abcdef0123456789ABCDEF01";
const OTHER_AVS = "0x1111111111111111111111111111111111111111";
const signer = operatorSigner(parsePrivateKeyHex("11".repeat(32)));

type Behaviour = (request: TaskRequest, deadline: Date) => Promise<TaskResponse>;

function fakeConnection(behaviour: Behaviour): PerformerConnection & { calls: TaskRequest[] } {
  const calls: TaskRequest[] = [];
  return {
    calls,
    endpoint: "fake:9090",
    executeTask(request, deadline) {
      calls.push(request);
      return behaviour(request, deadline);
    },
    healthCheck: async () => ({ status: "READY_FOR_TASK" }),
    close() {},
  };
}

const echoReversed: Behaviour = async (request) => ({
  task_id: request.task_id,
  result: Buffer.from(request.payload).reverse(),
});

function routerWith(
  connection: PerformerConnection,
  options: { limit?: number; retryAttempts?: number; backoffMs?: number; log?: Logger } = {},
) {
  const registry = new PerformerRegistry();
  registry.add({
    performerId: "p-1",
    avsAddress: AVS,
    artifactRegistry: "",
    artifactDigest: "",
    containerId: "",
    connection,
    limiter: new InFlightLimiter(options.limit ?? 10),
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
    signer,
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
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isServiceError(error), `expected a gRPC status, got ${error}`);
    return { code: error.code, details: error.details };
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
    assert.equal(recoverSigner(result.output, result.signature), signer.address);
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

  it("answers NOT_FOUND naming an AVS it does not serve", async () => {
    const connection = fakeConnection(echoReversed);
    const { router, metrics } = routerWith(connection);
    const { code, details } = await rejection(
      router.submitTask(task({ avs_address: "0x9999999999999999999999999999999999999999" })),
    );
    assert.equal(code, status.NOT_FOUND);
    assert.match(details, /0x9999999999999999999999999999999999999999/);
    assert.match(details, /avs_config\.supported_avs/);
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
      if (request.task_id === "t-1" && !refused) {
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
      "answers another task": async () => ({ task_id: "someone-else", result: Buffer.from("x") }),
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
    const { code, details } = await rejection(router.submitTask(task(), callDeadline));
    assert.equal(code, status.DEADLINE_EXCEEDED);
    assert.match(details, /NETWORK_TIMEOUT/);
    // The aggregator's deadline is earlier than the executor's own (5 s) and wins.
    assert.equal(seenDeadline?.getTime(), callDeadline.getTime());
  });

  it("refuses with RESOURCE_EXHAUSTED beyond the in-flight bound, and recovers when tasks finish", async () => {
    const pending: Array<() => void> = [];
    const connection = fakeConnection(
      (request) =>
        new Promise((resolve) =>
          pending.push(() => resolve({ task_id: request.task_id, result: Buffer.from("x") })),
        ),
    );
    const { router } = routerWith(connection, { limit: 2 });
    const first = router.submitTask(task({ task_id: "a" }));
    const second = router.submitTask(task({ task_id: "b" }));
    const { code, details } = await rejection(router.submitTask(task({ task_id: "c" })));
    assert.equal(code, status.RESOURCE_EXHAUSTED);
    assert.match(details, /2 tasks/);
    for (const release of pending.splice(0)) release();
    assert.equal((await first).task_id, "a");
    assert.equal((await second).task_id, "b");
    const later = router.submitTask(task({ task_id: "d" }));
    for (const release of pending.splice(0)) release();
    assert.equal((await later).task_id, "d");
  });

  it("refuses a task id that is already running, so it is neither run nor answered twice", async () => {
    let release: () => void = () => {};
    const connection = fakeConnection(
      (request) =>
        new Promise(
          (resolve) => (release = () => resolve({ task_id: request.task_id, result: Buffer.from("x") })),
        ),
    );
    const { router } = routerWith(connection);
    const first = router.submitTask(task());
    const { code } = await rejection(router.submitTask(task()));
    assert.equal(code, status.ALREADY_EXISTS);
    release();
    assert.equal((await first).task_id, "t-1");
    assert.equal(connection.calls.length, 1);
  });

  it("refuses a performer answer for another task", async () => {
    const connection = fakeConnection(async () => ({ task_id: "someone-else", result: Buffer.from("x") }));
    const { router } = routerWith(connection);
    const { code, details } = await rejection(router.submitTask(task()));
    assert.equal(code, status.INTERNAL);
    assert.match(details, /must echo task_id/);
  });
});
