// Task validation and result signatures against a local EVM with the stand-in EigenLayer contracts: tasks
// signed by ECDSA and BN254 aggregators are admitted and their results pass the aggregator's check; every
// refusal says which check failed; the chain going away is UNAVAILABLE naming the RPC, and coming back heals.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { bn254PublicKeys } from "../../src/executor/chain/bn254.ts";
import { CertificateDigests } from "../../src/executor/chain/certificate-digests.ts";
import { ChainClient } from "../../src/executor/chain/chain-client.ts";
import { ChainFacts } from "../../src/executor/chain/chain-facts.ts";
import { coreContractsFor } from "../../src/executor/chain/contract-addresses.ts";
import type { ResultSignatures } from "../../src/executor/chain/result-signatures.ts";
import { SigningThreads } from "../../src/executor/chain/signing-thread.ts";
import { ChainTaskAuthority } from "../../src/executor/chain/task-authority.ts";
import { memoryTaskStore } from "../../src/executor/chain/task-store.ts";
import type { ChainTaskSubmission } from "../../src/executor/chain/task-validation.ts";
import { chainAggregator } from "../support/aggregator-check.ts";
import { signBn254Task, signEcdsaTask } from "../support/aggregator-tasks.ts";
import {
  AGGREGATOR_ADDRESS,
  AGGREGATOR_BLS_KEY,
  AGGREGATOR_KEY,
  BN254_AVS,
  CHAIN_ID,
  type ChainWorld,
  ECDSA_AVS,
  EXECUTOR_SET,
  installChainWorld,
  OPERATOR_ADDRESS,
  OPERATOR_BLS_KEY,
  OPERATOR_KEY,
  taskFor,
} from "../support/chain-world.ts";
import { type LocalEvm, startLocalEvm } from "../support/local-evm.ts";

let evm: LocalEvm;
let world: ChainWorld;
let client: ChainClient;
let digests: CertificateDigests;
// Each suite runs twice: ECDSA work on the event loop (the default) and on a signing thread; BN254 work is on a
// thread either way.
const pools = { "on the event loop": new SigningThreads(0), "on a signing thread": new SigningThreads(1) };
let threads: SigningThreads;

function authority(digestSource = digests) {
  return new ChainTaskAuthority({
    facts: new ChainFacts(client),
    digests: digestSource,
    store: memoryTaskStore(),
    operatorAddress: OPERATOR_ADDRESS,
    keys: { ecdsa: Buffer.from(OPERATOR_KEY.slice(2), "hex"), bn254: OPERATOR_BLS_KEY },
    threads,
  });
}

async function ecdsaTask(overrides: Partial<ChainTaskSubmission> = {}) {
  return signEcdsaTask({ ...(await taskFor(world, ECDSA_AVS)), ...overrides }, AGGREGATOR_KEY);
}

async function bn254Task() {
  return signBn254Task(await taskFor(world, BN254_AVS), AGGREGATOR_BLS_KEY);
}

function resultOf(task: ChainTaskSubmission, output: Buffer, signatures: ResultSignatures) {
  return {
    taskId: task.task_id,
    avsAddress: task.avs_address,
    operatorAddress: OPERATOR_ADDRESS,
    operatorSetId: task.operator_set_id,
    output,
    ...signatures,
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  const error = await promise.then(
    () => assert.fail("expected a refusal"),
    (e) => e,
  );
  return { code: error.code, details: error.details };
}

before(async () => {
  evm = await startLocalEvm();
  world = await installChainWorld(evm.rpcUrl);
  client = new ChainClient({
    rpcUrl: evm.rpcUrl,
    chainId: CHAIN_ID,
    contracts: coreContractsFor(CHAIN_ID),
    timeoutMs: 2_000,
  });
  await client.checkChain();
  digests = new CertificateDigests(new ChainFacts(client));
});
after(async () => {
  await Promise.all(Object.values(pools).map((pool) => pool.close()));
  await evm?.stop();
});

for (const [where, pool] of Object.entries(pools))
  describe(`chain-backed tasks, ECDSA work ${where}`, () => {
    before(() => {
      threads = pool;
    });

    it("computes digests locally once the self-test finds them equal to the contracts'", async () => {
      assert.equal(await digests.selfTest(), true, digests.selfTestResult);
      assert.equal(digests.local, true);
    });

    for (const local of [true, false]) {
      it(`admits an ECDSA aggregator's task and signs a result the aggregator accepts (digests ${local ? "local" : "from the chain"})`, async () => {
        const source = local ? digests : new CertificateDigests(new ChainFacts(client));
        const a = authority(source);
        const task = await ecdsaTask();
        const admission = await a.admit(task);
        assert.equal(admission.curve, "ecdsa");
        const output = Buffer.from(`result of ${task.task_id}`);
        const { resultSignature, authSignature } = await a.sign(task, admission, output);
        const check = await chainAggregator(evm.rpcUrl, world.contracts, task.reference_timestamp);
        const result = resultOf(task, output, { resultSignature, authSignature });
        await check.checkEcdsa(result, OPERATOR_ADDRESS);
        await assert.rejects(
          check.checkEcdsa({ ...result, output: Buffer.from("another output") }, OPERATOR_ADDRESS),
          /result signature/,
        );
        await assert.rejects(
          check.checkEcdsa({ ...result, operatorSetId: 9 }, OPERATOR_ADDRESS),
          /auth signature/,
        );
      });
    }

    it("admits a BN254 aggregator's task and signs a BN254 result the aggregator accepts", async () => {
      const a = authority();
      const task = await bn254Task();
      const admission = await a.admit(task);
      assert.equal(admission.curve, "bn254");
      const output = Buffer.from("bn254 result");
      const { resultSignature, authSignature } = await a.sign(task, admission, output);
      assert.equal(resultSignature.length, 64);
      const check = await chainAggregator(evm.rpcUrl, world.contracts, task.reference_timestamp);
      const result = resultOf(task, output, { resultSignature, authSignature });
      await check.checkBn254(result, bn254PublicKeys(OPERATOR_BLS_KEY).g2);
      await assert.rejects(
        check.checkBn254(result, bn254PublicKeys(OPERATOR_BLS_KEY + 1n).g2),
        /result signature/,
      );
    });

    it("refuses tasks with a status naming the check that failed", async () => {
      const a = authority();
      const good = await ecdsaTask();
      const cases: [string, Promise<ChainTaskSubmission>, number, RegExp][] = [
        [
          "no signature",
          Promise.resolve({ ...good, signature: Buffer.alloc(0) }),
          status.INVALID_ARGUMENT,
          /^signature: empty/,
        ],
        [
          "a 1-byte signature",
          Promise.resolve({ ...good, signature: Buffer.from([1]) }),
          status.PERMISSION_DENIED,
          /signature: .*malformed: expected 65 bytes/,
        ],
        [
          "a signature over other bytes",
          Promise.resolve({ ...good, payload: Buffer.from("changed") }),
          status.PERMISSION_DENIED,
          /signature: .*does not verify: it recovers to 0x/,
        ],
        [
          "a foreign executor_address",
          ecdsaTask({ executor_address: AGGREGATOR_ADDRESS }),
          status.PERMISSION_DENIED,
          /executor_address: .* is for executor/,
        ],
        [
          "an operator set the operator is not in",
          ecdsaTask({ operator_set_id: 7 }),
          status.FAILED_PRECONDITION,
          /operator set: operator .* is not in operator set 7/,
        ],
        [
          "a malformed task id",
          Promise.resolve({ ...good, task_id: "0x1234" }),
          status.INVALID_ARGUMENT,
          /^task_id: expected 0x \+ 64 hex/,
        ],
        [
          "a zero reference_timestamp",
          Promise.resolve({ ...good, reference_timestamp: 0 }),
          status.INVALID_ARGUMENT,
          /^reference_timestamp/,
        ],
        [
          "an unknown message version",
          ecdsaTask({ version: 2 }),
          status.INVALID_ARGUMENT,
          /^version: unsupported task submission message version 2/,
        ],
      ];
      for (const [name, task, code, details] of cases) {
        const got = await refusal(a.admit(await task));
        assert.equal(status[got.code], status[code], `${name}: ${got.details}`);
        assert.match(got.details, details, name);
      }
    });

    it("refuses a BN254 task signed by another key, or over other bytes", async () => {
      const a = authority();
      const task = await bn254Task();
      const other = signBn254Task({ ...task, signature: undefined } as never, AGGREGATOR_BLS_KEY + 1n);
      for (const [name, t] of [
        ["another key", other],
        ["other bytes", { ...task, payload: Buffer.from("changed") }],
      ] as const) {
        const got = await refusal(a.admit(t));
        assert.equal(got.code, status.PERMISSION_DENIED, name);
        assert.match(
          got.details,
          /signature: the aggregator's BN254 signature .* does not verify against the BN254 key registered/,
          name,
        );
      }
      const malformed = await refusal(a.admit({ ...task, signature: Buffer.alloc(64, 0xff) }));
      assert.match(
        malformed.details,
        /BN254 signature .* is malformed: a coordinate is not below the field modulus/,
      );
    });

    it("refuses an aggregator that is not in the AVS's aggregator set, and an operator removed from its set, at the task's block", async () => {
      const a = authority();
      const stranger = await ecdsaTask({ aggregator_address: OPERATOR_ADDRESS });
      const got = await refusal(a.admit(stranger));
      assert.equal(got.code, status.PERMISSION_DENIED);
      assert.match(got.details, /aggregator_address: .* is not in AVS .* aggregator operator set 0/);

      const before = await ecdsaTask();
      await world.unregisterEcdsa(ECDSA_AVS, EXECUTOR_SET, OPERATOR_ADDRESS);
      try {
        // Signed for the block before the removal: admitted, as the chain was then.
        await a.admit(before);
        const after = await ecdsaTask();
        const removed = await refusal(a.admit(after));
        assert.equal(removed.code, status.FAILED_PRECONDITION);
        assert.match(removed.details, /has no ECDSA key registered for operator set/);
      } finally {
        await world.registerEcdsa(ECDSA_AVS, EXECUTOR_SET, OPERATOR_ADDRESS, OPERATOR_ADDRESS);
      }
    });

    it("refuses a task id it has answered, however it is signed", async () => {
      const a = authority();
      const task = await ecdsaTask();
      await a.admit(task);
      a.markProcessed(task.task_id);
      const again = await refusal(a.admit(await ecdsaTask({ task_id: task.task_id })));
      assert.equal(again.code, status.ALREADY_EXISTS);
      assert.match(again.details, new RegExp(`task ${task.task_id} already processed`));
    });

    it("answers UNAVAILABLE naming the RPC while the chain is down, and admits again once it is back", async () => {
      const a = authority();
      const task = await ecdsaTask();
      const stopWatching = client.watch(100);
      try {
        await evm.stop();
        const started = performance.now();
        const down = await refusal(
          a.admit(await Promise.resolve({ ...task, task_id: `0x${"ab".repeat(32)}` })),
        );
        assert.equal(down.code, status.UNAVAILABLE);
        assert.ok(down.details.includes(evm.rpcUrl), down.details);
        assert.match(down.details, /KeyRegistrar|AllocationManager/);
        assert.equal(client.reachable, false);
        assert.ok(performance.now() - started < 10_000);
        await evm.restart();
        world = await installChainWorld(evm.rpcUrl);
        const deadline = Date.now() + 10_000;
        while (!client.reachable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(client.reachable, true, client.lastError);
        await a.admit(await ecdsaTask());
      } finally {
        stopWatching();
      }
    });
  });
