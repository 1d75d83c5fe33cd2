// The executor as Hourglass's own tools meet it: a client built from nothing but the proto files (the upstream
// executor.proto layout, task ids as strings) sending a task its aggregator signed on a local EVM,
// ExecutorManagementService on the gRPC port or on its own, and the sample performer, which serves only
// PerformerService and grpc.health.v1.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { ListPerformersResponse, TaskResult } from "../../src/grpc/messages.ts";
import {
  clientOf,
  EXECUTOR_MANAGEMENT_SERVICE_NAME,
  EXECUTOR_PROTO,
  EXECUTOR_SERVICE_NAME,
  PROTO_ROOT,
} from "../../src/grpc/protos.ts";
import { freePort } from "../controlplane/controlplane.ts";
import { startDockerModeExecutor } from "../support/docker-mode-executor.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient, listServicesByReflection, unary } from "../support/grpc-clients.ts";
import { testAvsAddress } from "../support/grpc-executor-config.ts";
import {
  type ExecutorProcess,
  type SamplePerformerProcess,
  sha256,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

/** Clients generated from the proto files alone, with proto-loader's usual options: what any Hourglass client
 * built from executor.proto sends and sees. */
const upstreamLayout = loadSync(EXECUTOR_PROTO, {
  includeDirs: [PROTO_ROOT],
  keepCase: true,
  defaults: true,
});
const UpstreamExecutorClient = clientOf(upstreamLayout, EXECUTOR_SERVICE_NAME);
const UpstreamManagementClient = clientOf(upstreamLayout, EXECUTOR_MANAGEMENT_SERVICE_NAME);

describe("the Hourglass v1.0.0-rc.5 protocol", () => {
  const avs = testAvsAddress();
  const otherAvs = testAvsAddress();
  let operatorAddress: string;
  let chain: TestChain;
  let performer: SamplePerformerProcess;
  let executor: ExecutorProcess;

  before(async () => {
    chain = await startTestChain();
    performer = await startSamplePerformer();
    const started = await startDockerModeExecutor(
      "executor-protocol",
      chain,
      [
        { address: avs, name: "avs", endpoint: performer.address },
        { address: otherAvs, name: "other", endpoint: performer.address },
      ],
      { register: [avs] },
    );
    operatorAddress = started.operator.address;
    executor = started.executor;
  });

  after(async () => {
    await executor?.stop();
    await performer?.stop();
    await chain?.stop();
  });

  it("answers a client generated from the upstream layout, echoing task_id, operator_set_id and version", async () => {
    const client = new UpstreamExecutorClient(executor.grpcAddress, credentials.createInsecure());
    try {
      const payload = Buffer.from("upstream layout");
      const task = await chain.task(avs, operatorAddress, payload);
      // As the upstream layout types them: the block number a number, every field set.
      const result = await unary<TaskResult>(client, "SubmitTask", {
        ...task,
        task_block_number: Number(task.task_block_number),
      });
      assert.equal(result.task_id, task.task_id);
      assert.equal(result.operator_set_id, task.operator_set_id);
      assert.equal(result.version, task.version);
      assert.deepEqual(Buffer.from(result.output), sha256(payload));
      await chain.checkResult(task, { ...result, output: Buffer.from(result.output) }, operatorAddress);
    } finally {
      client.close();
    }
  });

  it("refuses a task id that is not a bytes32 (here not even UTF-8) with INVALID_ARGUMENT naming task_id", async () => {
    const client = executorClient(executor.grpcAddress);
    try {
      const raw = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x41]);
      const task = await chain.task(avs, operatorAddress, Buffer.from("bytes"));
      await assert.rejects(
        client.submitTask({ ...task, task_id: "", taskIdBytes: raw }),
        (error: ServiceError) => {
          assert.equal(error.code, status.INVALID_ARGUMENT);
          assert.match(error.details, /^task_id: expected 0x \+ 64 hex digits/);
          return true;
        },
      );
    } finally {
      client.close();
    }
  });

  it("lists the performer as healthy through ExecutorManagementService, its health from grpc.health.v1", async () => {
    const client = new UpstreamManagementClient(executor.grpcAddress, credentials.createInsecure());
    try {
      const performers = await eventually("the performer's first health check", async () => {
        const { performers } = await unary<ListPerformersResponse>(client, "ListPerformers", {
          avs_address: avs,
        });
        return performers[0]?.application_healthy ? performers : undefined;
      });
      assert.equal(performers.length, 1);
      assert.equal(performers[0]!.avs_address, avs);
      assert.equal(performers[0]!.status, "SERVING");
      assert.equal(performers[0]!.resource_healthy, true);
      assert.ok(!Number.isNaN(Date.parse(performers[0]!.last_health_check)));
    } finally {
      client.close();
    }
  });

  it("lists both executor services (and health) through server reflection", async () => {
    assert.deepEqual(await listServicesByReflection(executor.grpcAddress), [
      "eigenlayer.hourglass.v1.ExecutorManagementService",
      "eigenlayer.hourglass.v1.ExecutorService",
      "grpc.health.v1.Health",
    ]);
  });

  it("with authentication off, issues no challenge token and refuses a request that carries one", async () => {
    const client = executorClient(executor.grpcAddress);
    try {
      const operatorAddress = executor.logs.find((l) => l.msg === "executor serving")!.operator as string;
      await assert.rejects(client.getChallengeToken(operatorAddress), (error: ServiceError) => {
        assert.equal(error.code, status.UNIMPLEMENTED);
        assert.deepEqual(error.metadata.get("hg-error-code"), ["HG_ERR_AUTH_NOT_ENABLED"]);
        return true;
      });
      await assert.rejects(
        client.listPerformers(avs, { challenge_token: "t", signature: Buffer.alloc(65) }),
        (error: ServiceError) => error.code === status.UNIMPLEMENTED,
      );
      await assert.rejects(client.getChallengeToken(testAvsAddress()), (error: ServiceError) => {
        assert.equal(error.code, status.PERMISSION_DENIED);
        return true;
      });
    } finally {
      client.close();
    }
  });

  it("answers NOT_FOUND for an AVS it does not serve without naming those it does", async () => {
    const client = executorClient(executor.grpcAddress);
    const stranger = testAvsAddress();
    try {
      await assert.rejects(
        client.submitTask({ task_id: "t", avs_address: stranger, payload: Buffer.from("x") }),
        (error: ServiceError) => {
          assert.equal(error.code, status.NOT_FOUND);
          assert.ok(error.details.includes(stranger), error.details);
          assert.ok(!error.details.includes(avs) && !error.details.includes(otherAvs), error.details);
          assert.deepEqual(error.metadata.get("hg-error-code"), ["HG_ERR_UNKNOWN_AVS"]);
          return true;
        },
      );
    } finally {
      client.close();
    }
  });
});

it("serves ExecutorManagementService on its own port when --management-port names another", async (t) => {
  const chain = await startTestChain();
  t.after(() => chain.stop());
  const performer = await startSamplePerformer();
  t.after(() => performer.stop());
  const avs = testAvsAddress();
  const managementPort = await freePort();
  const { executor } = await startDockerModeExecutor(
    "executor-management-port",
    chain,
    [{ address: avs, name: "avs", endpoint: performer.address }],
    { register: [], args: [`--management-port=${managementPort}`] },
  );
  t.after(() => executor.stop());
  assert.equal(executor.ports.management, managementPort);
  const managementAddress = `127.0.0.1:${managementPort}`;
  assert.deepEqual(await listServicesByReflection(executor.grpcAddress), [
    "eigenlayer.hourglass.v1.ExecutorService",
    "grpc.health.v1.Health",
  ]);
  assert.deepEqual(await listServicesByReflection(managementAddress), [
    "eigenlayer.hourglass.v1.ExecutorManagementService",
    "grpc.health.v1.Health",
  ]);
  const client = executorClient(executor.grpcAddress, managementAddress);
  t.after(() => client.close());
  const { performers } = await client.listPerformers();
  assert.deepEqual(
    performers.map((p) => p.avs_address),
    [avs],
  );
  const onGrpcPort = executorClient(executor.grpcAddress);
  t.after(() => onGrpcPort.close());
  await assert.rejects(
    onGrpcPort.listPerformers(),
    (error: ServiceError) => error.code === status.UNIMPLEMENTED,
  );
});
