// The executor when performers misbehave and when it is told to stop: every task (signed by its aggregator on a
// local EVM) gets exactly one answer, and a failed one says why with a status the aggregator can act on.
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { TaskResult } from "../../src/grpc/messages.ts";
import { startDockerModeExecutor } from "../support/docker-mode-executor.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient, type TestExecutorClient } from "../support/grpc-clients.ts";
import { testAvsAddress } from "../support/grpc-executor-config.ts";
import {
  type ExecutorProcess,
  type SamplePerformerProcess,
  sha256,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { type SignedTask, startTestChain, type TestChain } from "../support/test-chain.ts";

let chain: TestChain;
before(async () => {
  chain = await startTestChain();
});
after(() => chain?.stop());

interface Setup {
  avs: string;
  operatorAddress: string;
  performer: SamplePerformerProcess;
  executor: ExecutorProcess;
  client: TestExecutorClient;
}

/** One AVS, one sample performer, one executor; all stopped when the test ends. */
async function setUp(
  t: TestContext,
  options: {
    delayMs?: number;
    performerConfig?: Record<string, unknown>;
    args?: string[];
    env?: NodeJS.ProcessEnv;
  },
): Promise<Setup> {
  const avs = testAvsAddress();
  const performer = await startSamplePerformer({ delayMs: options.delayMs });
  const { delayMs: _, ...executorOptions } = options;
  const { operator, executor } = await startDockerModeExecutor(
    "executor-failures",
    chain,
    [{ address: avs, name: "avs", endpoint: performer.address }],
    executorOptions,
  );
  const client = executorClient(executor.grpcAddress);
  const setup = { avs, operatorAddress: operator.address, performer, executor, client };
  t.after(async () => {
    client.close();
    await executor.stop();
    await setup.performer.stop();
  });
  return setup;
}

/** Tasks of the setup's AVS, one per label, each with its label as payload, signed by the aggregator. */
function tasks(setup: Setup, labels: string[]): Promise<SignedTask[]> {
  return Promise.all(labels.map((l) => chain.task(setup.avs, setup.operatorAddress, Buffer.from(l))));
}

function submit(client: TestExecutorClient, task: SignedTask, signal?: AbortSignal): Promise<TaskResult> {
  return client.submitTask(task, undefined, signal);
}

const labelOf = (task: SignedTask) => task.payload.toString();

type Outcome = { task: SignedTask; result: TaskResult } | { task: SignedTask; error: ServiceError };

async function outcome(task: SignedTask, work: Promise<TaskResult>): Promise<Outcome> {
  try {
    return { task, result: await work };
  } catch (error) {
    return { task, error: error as ServiceError };
  }
}

async function tasksInFlight(executor: ExecutorProcess, avs: string): Promise<number> {
  const pattern = new RegExp(`hourglass_executor_tasks_in_flight\\{avs="${avs.toLowerCase()}"\\} (\\d+)`);
  const text = await (await fetch(`http://127.0.0.1:${executor.ports.metrics}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? -1);
}

/** Polls the executor's in-flight gauge until it reads `count`, so a test acts while tasks are running. */
async function waitForInFlight(executor: ExecutorProcess, avs: string, count: number): Promise<void> {
  while ((await tasksInFlight(executor, avs)) < count) await sleep(20);
}

/** Polls the sample performer until it runs `count` tasks: past the executor's checks, in the performer's hands. */
async function waitForPerformerTasks(performer: SamplePerformerProcess, count: number): Promise<void> {
  const running = async () => {
    const health = await fetch(`http://127.0.0.1:${performer.healthPort}/health`);
    return ((await health.json()) as { inFlight: number }).inFlight;
  };
  while ((await running()) < count) await sleep(20);
}

describe("executor failure handling", () => {
  it("answers DEADLINE_EXCEEDED when the performer is slower than NETWORK_TIMEOUT", async (t) => {
    const setup = await setUp(t, { delayMs: 5_000, env: { NETWORK_TIMEOUT: "1s" } });
    const [slow] = await tasks(setup, ["slow"]);
    await assert.rejects(submit(setup.client, slow!), (error: ServiceError) => {
      assert.equal(error.code, status.DEADLINE_EXCEEDED);
      assert.ok(
        error.details.includes(`did not answer task ${slow!.task_id} before the deadline`),
        error.details,
      );
      return true;
    });
  });

  it("queues tasks beyond the in-flight bound and answers RESOURCE_EXHAUSTED only beyond the queue's", async (t) => {
    const setup = await setUp(t, {
      delayMs: 1_500,
      args: ["--max-in-flight=2", "--max-queued=2"],
    });
    const { client, avs, executor } = setup;
    const [a, b, c, d, e] = await tasks(setup, ["a", "b", "c", "d", "e"]);
    const running = [submit(client, a!), submit(client, b!)];
    await waitForPerformerTasks(setup.performer, 2);
    const queued = [submit(client, c!), submit(client, d!)];
    await waitForInFlight(executor, avs, 4);
    await assert.rejects(submit(client, e!), (error: ServiceError) => {
      assert.equal(error.code, status.RESOURCE_EXHAUSTED);
      assert.deepEqual(error.metadata.get("hg-error-code"), ["HG_ERR_QUEUE_FULL"]);
      assert.match(error.details, /already runs 2 tasks and 2 more wait/);
      return true;
    });
    const results = await Promise.all([...running, ...queued]);
    assert.deepEqual(
      results.map((r) => r.task_id),
      [a, b, c, d].map((task) => task!.task_id),
    );
  });

  it("answers in full a burst of 100 tasks sent together to a performer limited to 64", async (t) => {
    const setup = await setUp(t, { delayMs: 300, args: ["--max-in-flight=64"] });
    const burst = await tasks(
      setup,
      Array.from({ length: 100 }, (_, i) => `burst-${i}`),
    );
    const outcomes = await Promise.all(burst.map((task) => outcome(task, submit(setup.client, task))));
    for (const o of outcomes) {
      assert.ok("result" in o, `${labelOf(o.task)}: ${"error" in o && o.error.message}`);
      assert.deepEqual(o.result.output, sha256(o.task.payload));
    }
  });

  it("frees the slots of 20 tasks the client cancels at once: the next 64 are accepted", async (t) => {
    // The performer holds every task for a minute, far longer than the test waits: only the cancellation can
    // free a slot. No queue, so a task that finds no free slot is refused at once.
    const setup = await setUp(t, {
      delayMs: 60_000,
      performerConfig: { connection_timeout: "120s" },
      args: ["--max-in-flight=64", "--max-queued=0"],
    });
    const { client, avs, executor } = setup;
    const cancelled = await tasks(
      setup,
      Array.from({ length: 20 }, (_, i) => `cancelled-${i}`),
    );
    const nextTasks = await tasks(
      setup,
      Array.from({ length: 64 }, (_, i) => `next-${i}`),
    );
    const abandoned = new AbortController();
    const first = cancelled.map((task) => outcome(task, submit(client, task, abandoned.signal)));
    await waitForInFlight(executor, avs, 20);
    abandoned.abort();
    for (const o of await Promise.all(first)) {
      assert.ok("error" in o && o.error.code === status.CANCELLED, `${labelOf(o.task)} was not cancelled`);
    }
    // Freed well before the performer would have answered them (60 s).
    await eventually(
      "the cancelled tasks to leave the executor",
      async () => ((await tasksInFlight(executor, avs)) === 0 ? true : undefined),
      { timeoutMs: 20_000 },
    );
    const next = new AbortController();
    t.after(() => next.abort());
    const refused: string[] = [];
    const second = nextTasks.map((task) =>
      submit(client, task, next.signal).catch((error: ServiceError) => {
        if (error.code !== status.CANCELLED) refused.push(`${labelOf(task)}: ${error.message}`);
      }),
    );
    // All 64 hold a slot at once: a refused one would leave the gauge at once.
    await eventually(
      "64 tasks in flight",
      async () => ((await tasksInFlight(executor, avs)) === 64 ? true : undefined),
      { timeoutMs: 20_000, abortIf: () => (refused.length > 0 ? refused.join("; ") : undefined) },
    );
    assert.deepEqual(refused, []);
    next.abort();
    await Promise.all(second);
  });

  it("answers every task exactly once when the performer is killed mid-stream and comes back", async (t) => {
    // The first performer holds every task far longer than the test runs, so all of the first batch are in
    // flight when it is killed, however slow the machine.
    // A limit of 15: the second batch finds room only if the cut-off tasks gave their slots back.
    const setup = await setUp(t, {
      delayMs: 60_000,
      performerConfig: { retry_attempts: 20 },
      args: ["--max-in-flight=15"],
    });
    const { client, operatorAddress } = setup;
    const port = setup.performer.grpcPort;
    const all = await tasks(
      setup,
      Array.from({ length: 30 }, (_, i) => `task-${i}`),
    );
    const first = all.slice(0, 15).map((task) => outcome(task, submit(client, task)));
    await waitForPerformerTasks(setup.performer, 15);
    setup.performer.child.kill("SIGKILL");
    await setup.performer.exited;
    // Cut off mid-call: the executor cannot know whether these ran, and says so. Their answers also mean the
    // executor has seen the connection drop; a task it sends before then goes out on the dead connection and
    // is, rightly, just as uncertain.
    const cutOff = await Promise.all(first);
    for (const o of cutOff) {
      assert.ok("error" in o, `${labelOf(o.task)} was answered by a performer that had been killed`);
      assert.equal(o.error.code, status.UNAVAILABLE, `${labelOf(o.task)}: ${o.error.message}`);
      assert.match(o.error.details, /may have run/);
    }
    // Sent while the performer is down and known to be: retried (it never saw them) until it is back.
    const second = all.slice(15).map((task) => outcome(task, submit(client, task)));
    await sleep(500);
    setup.performer = await startSamplePerformer({ grpcPort: port });

    const retried = await Promise.all(second);
    assert.deepEqual(
      retried.map((o) => o.task.task_id),
      all.slice(15).map((task) => task.task_id),
      "one answer per task",
    );
    for (const o of retried) {
      assert.ok(
        "result" in o,
        `${labelOf(o.task)} was not retried until the performer came back: ${"error" in o && o.error.message}`,
      );
      assert.deepEqual(o.result.output, sha256(o.task.payload));
      await chain.checkResult(o.task, o.result, operatorAddress);
    }
  });

  it("drains tasks in flight on SIGTERM, refuses new ones, and exits 0", async (t) => {
    const setup = await setUp(t, { delayMs: 1_500 });
    const { client, avs, executor } = setup;
    const [x, y, z, late] = await tasks(setup, ["x", "y", "z", "late"]);
    const inFlight = [x!, y!, z!].map((task) => submit(client, task));
    await waitForInFlight(executor, avs, 3);
    executor.child.kill("SIGTERM");
    await executor.waitForLog((l) => l.msg === "stopping: refusing new tasks, draining those in flight");
    const lateClient = executorClient(executor.grpcAddress);
    await assert.rejects(
      submit(lateClient, late!),
      (error: ServiceError) => error.code === status.UNAVAILABLE,
    );
    lateClient.close();
    const results = await Promise.all(inFlight);
    assert.deepEqual(
      results.map((r) => r.task_id),
      [x, y, z].map((task) => task!.task_id),
    );
    assert.equal(await executor.exited, 0);
  });
});
