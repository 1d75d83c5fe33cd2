// SubmitTask backed by the chain, end to end: an aggregator-like gRPC client sends tasks signed by ECDSA and
// BN254 aggregators to an executor (docker mode, the sample performer as a process) whose signer is the
// chain-backed one, on a local EVM. Results pass the aggregator's check; bad tasks are refused with a status
// naming the check; the chain going away is UNAVAILABLE naming the RPC and /ready 503, until it comes back.
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import pino from "pino";
import { loadExecutorConfigFile } from "../../src/api/executor-config-file.ts";
import { bn254PublicKeys } from "../../src/executor/chain/bn254.ts";
import { type ChainBacking, startChainBacking } from "../../src/executor/chain/chain-backing.ts";
import { chainResultSigner } from "../../src/executor/chain/chain-result-signer.ts";
import { executorSettings } from "../../src/executor/config-settings.ts";
import { dockerEngine } from "../../src/executor/docker-engine.ts";
import { dockerPerformerManager } from "../../src/executor/docker-performers.ts";
import { type RunningExecutor, startExecutor } from "../../src/executor/executor.ts";
import { loadOperatorSigner } from "../../src/executor/operator-key.ts";
import { chainAggregator } from "../support/aggregator-check.ts";
import { signBn254Task, signEcdsaTask } from "../support/aggregator-tasks.ts";
import {
  AGGREGATOR_BLS_KEY,
  AGGREGATOR_KEY,
  BN254_AVS,
  CHAIN_ID,
  type ChainWorld,
  chainBackingInput,
  ECDSA_AVS,
  installChainWorld,
  OPERATOR_ADDRESS,
  OPERATOR_BLS_KEY,
  OPERATOR_KEY,
  taskFor,
} from "../support/chain-world.ts";
import { executorClient, type TestExecutorClient } from "../support/grpc-clients.ts";
import { dockerModeConfig, testDir, writeExecutorConfig } from "../support/grpc-executor-config.ts";
import { type SamplePerformerProcess, startSamplePerformer } from "../support/grpc-processes.ts";
import { type LocalEvm, startLocalEvm } from "../support/local-evm.ts";

let evm: LocalEvm;
let world: ChainWorld;
let dir: string;
let performer: SamplePerformerProcess;
let backing: ChainBacking;
let executor: RunningExecutor;
let client: TestExecutorClient;

before(async () => {
  dir = await testDir("executor-chain");
  evm = await startLocalEvm();
  world = await installChainWorld(evm.rpcUrl);
  performer = await startSamplePerformer();
  const keyFile = join(dir, "operator.key");
  await writeFile(keyFile, `${OPERATOR_KEY}\n`, { mode: 0o600 });
  const configPath = await writeExecutorConfig(
    dir,
    dockerModeConfig({ rpc_url: evm.rpcUrl, chain_id: CHAIN_ID }, { address: OPERATOR_ADDRESS, keyFile }, [
      { address: ECDSA_AVS, name: "ecdsa-avs", endpoint: performer.address },
      { address: BN254_AVS, name: "bn254-avs", endpoint: performer.address },
    ]),
  );
  const { config } = loadExecutorConfigFile(configPath);
  const settings = executorSettings(config!, {}, {});
  const portless = {
    ...settings,
    host: "127.0.0.1",
    ports: { ...settings.ports, grpc: 0, management: 0, health: 0, metrics: 0 },
  };
  const log = pino({ level: "silent" });
  backing = await startChainBacking(chainBackingInput(evm.rpcUrl, dir), log);
  executor = await startExecutor({
    settings: portless,
    signer: await loadOperatorSigner(settings.operator),
    resultSigner: chainResultSigner(backing.authority),
    readiness: backing.readiness,
    log,
    performerManager: (registry) =>
      dockerPerformerManager({ registry, settings: portless, engine: dockerEngine, log }),
  });
  await executor.started;
  client = executorClient(`127.0.0.1:${executor.ports.grpc}`);
});

after(async () => {
  client?.close();
  await executor?.stop();
  await backing?.stop();
  await performer?.stop();
  await evm?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function ready(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${executor.ports.health}/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function refused(task: Parameters<TestExecutorClient["submitTask"]>[0]) {
  return client.submitTask(task).then(
    () => assert.fail("the task was answered"),
    (error) => ({ code: error.code as number, details: error.details as string }),
  );
}

describe("executor backed by the chain", () => {
  it("answers ECDSA and BN254 aggregators' tasks with results the aggregator accepts, echoing operator set and version", async () => {
    assert.equal((await ready()).status, 200);
    const ecdsa = signEcdsaTask(await taskFor(world, ECDSA_AVS), AGGREGATOR_KEY);
    const bn254 = signBn254Task(await taskFor(world, BN254_AVS), AGGREGATOR_BLS_KEY);
    for (const task of [ecdsa, bn254]) {
      const result = await client.submitTask(task);
      assert.equal(result.operator_set_id, task.operator_set_id);
      assert.equal(result.version, 1);
      assert.equal(result.operator_address.toLowerCase(), OPERATOR_ADDRESS.toLowerCase());
      const check = await chainAggregator(evm.rpcUrl, world.contracts, task.reference_timestamp);
      const toCheck = {
        taskId: result.task_id,
        avsAddress: result.avs_address,
        operatorAddress: result.operator_address,
        operatorSetId: result.operator_set_id,
        output: result.output,
        resultSignature: result.result_signature,
        authSignature: result.auth_signature,
      };
      if (task === ecdsa) await check.checkEcdsa(toCheck, OPERATOR_ADDRESS);
      else await check.checkBn254(toCheck, bn254PublicKeys(OPERATOR_BLS_KEY).g2);
    }
    const replay = await refused(ecdsa);
    assert.equal(replay.code, status.ALREADY_EXISTS);
    assert.match(replay.details, /already processed/);
  });

  it("refuses tasks with no, a wrong, or another executor's signature, with the check in the status", async () => {
    const task = signEcdsaTask(await taskFor(world, ECDSA_AVS), AGGREGATOR_KEY);
    const none = await refused({ ...task, signature: Buffer.alloc(0) });
    assert.equal(none.code, status.INVALID_ARGUMENT);
    assert.match(none.details, /^signature: empty/);
    const garbage = await refused({ ...task, signature: Buffer.from([7]) });
    assert.equal(garbage.code, status.PERMISSION_DENIED);
    assert.match(garbage.details, /malformed/);
    const foreign = await refused(
      signEcdsaTask({ ...(await taskFor(world, ECDSA_AVS)), executor_address: ECDSA_AVS }, AGGREGATOR_KEY),
    );
    assert.equal(foreign.code, status.PERMISSION_DENIED);
    assert.match(foreign.details, /^executor_address/);
    // A signature over another executor's message does not verify for this one.
    const otherBytes = await refused({ ...task, payload: Buffer.from("tampered") });
    assert.equal(otherBytes.code, status.PERMISSION_DENIED);
    assert.match(otherBytes.details, /does not verify/);
  });

  it("fails tasks fast with UNAVAILABLE naming the RPC while the chain is down, /ready 503, and recovers by itself", async () => {
    // At a block not yet read, so that nothing about it is known.
    const task = signEcdsaTask(
      { ...(await taskFor(world, ECDSA_AVS)), task_block_number: "0" },
      AGGREGATOR_KEY,
    );
    await evm.stop();
    const started = performance.now();
    const down = await refused(task);
    assert.equal(down.code, status.UNAVAILABLE, down.details);
    assert.ok(down.details.includes(evm.rpcUrl), down.details);
    assert.ok(performance.now() - started < 15_000);
    let deadline = Date.now() + 15_000;
    while ((await ready()).status === 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const notReady = await ready();
    assert.equal(notReady.status, 503);
    assert.match(JSON.stringify(notReady.body.chain), new RegExp(evm.rpcUrl.replace(/[./]/g, "\\$&")));

    await evm.restart();
    world = await installChainWorld(evm.rpcUrl);
    deadline = Date.now() + 20_000;
    while ((await ready()).status !== 200 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await ready()).status, 200, JSON.stringify((await ready()).body));
    const after = signEcdsaTask(await taskFor(world, ECDSA_AVS), AGGREGATOR_KEY);
    assert.equal((await client.submitTask(after)).operator_set_id, after.operator_set_id);
  });
});
