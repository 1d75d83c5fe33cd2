// The disk task store across an executor killed with SIGKILL while tasks are in flight (issue 14's fault item):
// the executor (docker mode, storage type badger, whose directory holds the SQLite task store) answers a first
// batch, is killed while a second batch is in its performer's hands, and is started again on the same storage.
// Then every task of the first batch, replayed, is refused as already processed, as Hourglass refuses it; every
// task of the second (cut off: never answered, so never signed) is answered once, and refused when replayed.
// Nothing is lost and no task id gets two signed results.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import { TASK_STORE_FILE } from "../../src/executor/chain/chain-backing.ts";
import type { TaskResult } from "../../src/grpc/messages.ts";
import { executorClient } from "../support/grpc-clients.ts";
import {
  dockerModeConfig,
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../support/grpc-executor-config.ts";
import {
  type ExecutorProcess,
  type SamplePerformerProcess,
  sha256,
  startExecutorProcess,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { type SignedTask, startTestChain, type TestChain } from "../support/test-chain.ts";

const BATCH = 12;

let dir: string;
let chain: TestChain;
let performer: SamplePerformerProcess;
const executors: ExecutorProcess[] = [];

before(async () => {
  dir = await testDir("executor-kill");
  chain = await startTestChain();
  // Slow enough that a batch is still in the performer when the executor is killed, however busy the machine.
  performer = await startSamplePerformer({ delayMs: 3_000 });
});

after(async () => {
  for (const executor of executors) await executor.stop();
  await performer?.stop();
  await chain?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function performerRuns(count: number): Promise<void> {
  for (;;) {
    const health = await fetch(`http://127.0.0.1:${performer.healthPort}/health`);
    if (((await health.json()) as { inFlight: number }).inFlight >= count) return;
    await sleep(20);
  }
}

type Outcome = { result: TaskResult } | { error: ServiceError };
const outcome = (work: Promise<TaskResult>): Promise<Outcome> =>
  work.then(
    (result) => ({ result }),
    (error: ServiceError) => ({ error }),
  );

it("keeps every answered task id across a SIGKILL: replays refused, cut-off tasks answered once after the restart", {
  timeout: 300_000,
}, async (t) => {
  const operator = await testOperator(dir);
  const avs = testAvsAddress();
  await chain.addAvs(avs, operator.address);
  const storeDir = join(dir, "store");
  const configPath = await writeExecutorConfig(dir, {
    ...dockerModeConfig(
      chain.l1Chain,
      operator,
      [{ address: avs, name: "avs", endpoint: performer.address }],
      {
        connection_timeout: "60s",
      },
    ),
    storage: { type: "badger", badger: { dir: storeDir } },
  });
  const start = async () => {
    const executor = await startExecutorProcess(configPath);
    executors.push(executor);
    await executor.waitForLog((l) => l.msg === "performers ready");
    return executor;
  };
  const signedResults = new Map<string, number>();
  const answer = (task: SignedTask, result: TaskResult) => {
    assert.deepEqual(result.output, sha256(task.payload));
    signedResults.set(task.task_id, (signedResults.get(task.task_id) ?? 0) + 1);
    return chain.checkResult(task, result, operator.address);
  };
  const batch = (name: string) =>
    Promise.all(
      Array.from({ length: BATCH }, (_, i) => chain.task(avs, operator.address, Buffer.from(`${name} ${i}`))),
    );
  const [answered, cutOff] = [await batch("answered"), await batch("cut off")];

  // 1. The first batch is answered in full.
  const first = await start();
  const client = executorClient(first.grpcAddress);
  for (const [i, result] of (await Promise.all(answered.map((task) => client.submitTask(task)))).entries()) {
    await answer(answered[i]!, result);
  }

  // 2. The second batch is in the performer's hands when the executor is killed: no answer, so no signature.
  const inFlight = cutOff.map((task) => outcome(client.submitTask(task)));
  await performerRuns(BATCH);
  first.child.kill("SIGKILL");
  assert.equal(await first.exited, "SIGKILL");
  const cut = await Promise.all(inFlight);
  client.close();
  for (const o of cut) {
    assert.ok("error" in o, "a task was answered by an executor that had been killed");
    assert.equal(o.error.code, status.UNAVAILABLE, o.error.message);
  }

  // 3. Started again on the same storage.
  const restartedAt = performance.now();
  const second = await start();
  const restartMs = performance.now() - restartedAt;
  const again = executorClient(second.grpcAddress);
  t.after(() => again.close());
  const replays = await Promise.all(answered.map((task) => outcome(again.submitTask(task))));
  for (const o of replays) {
    assert.ok("error" in o, "a task answered before the kill was signed again");
    assert.equal(o.error.code, status.ALREADY_EXISTS, o.error.message);
    assert.match(o.error.details, /already processed/);
  }
  const resubmitted = await Promise.all(cutOff.map((task) => outcome(again.submitTask(task))));
  for (const [i, o] of resubmitted.entries()) {
    assert.ok(
      "result" in o,
      `a cut-off task was not answered after the restart: ${"error" in o && o.error.message}`,
    );
    await answer(cutOff[i]!, o.result);
  }
  const secondReplays = await Promise.all(cutOff.map((task) => outcome(again.submitTask(task))));
  assert.deepEqual(
    secondReplays.map((o) => ("error" in o ? status[o.error.code] : "signed again")),
    cutOff.map(() => "ALREADY_EXISTS"),
  );

  // Nothing lost, nothing signed twice.
  assert.deepEqual(
    [...answered, ...cutOff].map((task) => signedResults.get(task.task_id)),
    [...answered, ...cutOff].map(() => 1),
  );
  t.diagnostic(
    `SIGKILL with ${BATCH} tasks in flight after ${BATCH} answered (store ${join(storeDir, TASK_STORE_FILE)}): ` +
      `${cut.length} cut off (UNAVAILABLE), restart to performers ready in ${restartMs.toFixed(0)} ms, ` +
      `${replays.length}/${BATCH} replays of answered tasks refused ALREADY_EXISTS, ${resubmitted.length}/${BATCH} cut-off tasks answered once, ` +
      `${secondReplays.length}/${BATCH} of their replays refused; tasks lost 0, signed twice 0`,
  );
});
