// The executor as an aggregator meets it: real processes on 127.0.0.1 (`hourglass-executor run` in docker mode,
// two sample performers and a local EVM), tasks for two AVSs signed by their aggregator, results checked against
// the sample's computation and as Hourglass's aggregator checks them.
import assert from "node:assert/strict";
import { after, before, describe, it, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { startDockerModeExecutor } from "../support/docker-mode-executor.ts";
import { executorClient, grpcHealthStatus, listServicesByReflection } from "../support/grpc-clients.ts";
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
  startNodeProcess,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { pprofTop } from "../support/pprof.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

describe("hourglass-executor run (docker mode)", () => {
  const avsA = testAvsAddress();
  const avsB = testAvsAddress();
  let operatorAddress: string;
  let chain: TestChain;
  let performers: SamplePerformerProcess[] = [];
  let executor: ExecutorProcess;

  before(async () => {
    chain = await startTestChain();
    performers = await Promise.all([startSamplePerformer(), startSamplePerformer()]);
    const started = await startDockerModeExecutor(
      "executor-e2e",
      chain,
      [
        { address: avsA, name: "avs-a", endpoint: performers[0]!.address },
        { address: avsB, name: "avs-b", endpoint: performers[1]!.address },
      ],
      { env: { ENABLE_PROFILING: "true" } },
    );
    operatorAddress = started.operator.address;
    executor = started.executor;
  });

  after(async () => {
    await executor?.stop();
    await Promise.all(performers.map((p) => p.stop()));
    await chain?.stop();
  });

  it("answers every task of two AVSs with the performer's result, signed as the aggregator checks it", async () => {
    const client = executorClient(executor.grpcAddress);
    try {
      const tasks = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          chain.task(i % 2 === 0 ? avsA : avsB, operatorAddress, Buffer.from(`payload ${i}`)),
        ),
      );
      const results = await Promise.all(tasks.map((t) => client.submitTask(t)));
      for (const [i, result] of results.entries()) {
        const task = tasks[i]!;
        assert.equal(result.avs_address, task.avs_address);
        assert.equal(result.operator_address, operatorAddress);
        assert.deepEqual(result.output, sha256(task.payload));
        await chain.checkResult(task, result, operatorAddress);
      }
    } finally {
      client.close();
    }
  });

  it("answers NOT_FOUND, naming the AVS, for an AVS it does not serve", async () => {
    const client = executorClient(executor.grpcAddress);
    const stranger = testAvsAddress();
    try {
      await assert.rejects(
        client.submitTask({
          task_id: "t",
          aggregator_address: "",
          avs_address: stranger,
          payload: Buffer.from("x"),
          signature: Buffer.alloc(0),
        }),
        (error: { code: number; details: string }) => {
          assert.equal(error.code, status.NOT_FOUND);
          assert.ok(error.details.includes(stranger), error.details);
          return true;
        },
      );
    } finally {
      client.close();
    }
  });

  it("lists its performers, one per AVS, at their endpoints", async () => {
    const client = executorClient(executor.grpcAddress);
    try {
      const { performers: listed } = await client.listPerformers();
      assert.deepEqual(listed.map((p) => p.avs_address).sort(), [avsA, avsB].sort());
      const onlyA = await client.listPerformers(avsA);
      assert.equal(onlyA.performers.length, 1);
      assert.equal(onlyA.performers[0]!.avs_address, avsA);
      await assert.rejects(
        client.deployArtifact({ avs_address: avsA, digest: "sha256:00", registry_url: "example/performer" }),
        (error: { code: number }) => error.code === status.FAILED_PRECONDITION,
      );
    } finally {
      client.close();
    }
  });

  it("serves reflection and grpc.health.v1 on both the executor and the performer", async () => {
    assert.deepEqual(await listServicesByReflection(executor.grpcAddress), [
      "eigenlayer.hourglass.v1.ExecutorManagementService",
      "eigenlayer.hourglass.v1.ExecutorService",
      "grpc.health.v1.Health",
    ]);
    assert.deepEqual(await listServicesByReflection(performers[0]!.address), [
      "eigenlayer.hourglass.v1.performer.PerformerService",
      "grpc.health.v1.Health",
    ]);
    assert.equal(await grpcHealthStatus(executor.grpcAddress), "SERVING");
    assert.equal(
      await grpcHealthStatus(performers[0]!.address, "eigenlayer.hourglass.v1.performer.PerformerService"),
      "SERVING",
    );
  });

  it("reports health, readiness and task metrics over HTTP", async () => {
    const health = await fetch(`http://127.0.0.1:${executor.ports.health}/health`);
    assert.equal(health.status, 200);
    const ready = await fetch(`http://127.0.0.1:${executor.ports.health}/ready`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${executor.ports.metrics}/metrics`)).text();
    // The first test answered 20 tasks per AVS.
    assert.match(
      metrics,
      new RegExp(`hourglass_executor_tasks_total\\{avs="${avsA}",result="success"\\} 20\\b`),
    );
    assert.match(
      metrics,
      new RegExp(`hourglass_executor_tasks_total\\{avs="${avsB}",result="success"\\} 20\\b`),
    );
    assert.match(metrics, /hourglass_executor_task_duration_seconds_count\{avs="0x[0-9a-f]{40}"\} 20\b/);
    assert.match(metrics, /hourglass_executor_tasks_in_flight\{avs="0x[0-9a-f]{40}"\} 0\b/);
  });

  it("serves pprof CPU and heap profiles that go tool pprof reads when ENABLE_PROFILING=true", async () => {
    const base = `http://127.0.0.1:${executor.ports.profiling}/debug/pprof`;
    assert.match(await pprofTop(`${base}/profile?seconds=1`), /^Type: wall$/m);
    assert.match(await pprofTop(`${base}/heap`), /^Type: inuse_space$/m);
    assert.equal((await fetch(`${base}/profile?seconds=forever`)).status, 400);
  });
});

test("log_format: text makes the executor log lines for people instead of JSON", async (t) => {
  const dir = await testDir("executor-text-logs");
  const chain = await startTestChain();
  t.after(() => chain.stop());
  const performer = await startSamplePerformer();
  t.after(() => performer.stop());
  const config = {
    ...dockerModeConfig(chain.l1Chain, await testOperator(dir), [
      { address: testAvsAddress(), name: "avs", endpoint: performer.address },
    ]),
    log_format: "text",
  };
  const executor = startNodeProcess([
    "src/cli/executor.ts",
    "run",
    "--config",
    await writeExecutorConfig(dir, config),
    "--host=127.0.0.1",
    "--grpc-port=0",
    "--health-port=0",
    "--metrics-port=0",
  ]);
  t.after(() => executor.stop());
  const serving = await executor.waitForLog((l) => /executor serving/.test(l.msg ?? ""));
  assert.match(
    serving.msg!,
    /^\S+Z INFO {2}hourglass-executor: executor serving ports=\{"grpc":\d+,.*\} deploymentMode=docker operator=0x[0-9a-f]{40}$/,
  );
  assert.ok(
    executor.logs.every((l) => !("level" in l)),
    "no line was JSON",
  );
});
