// The chain-backed signer as the executor builds it from its config, on a local EVM: a BLS key from a keystore,
// a task store on disk that keeps refusing answered ids across a restart, and readiness that follows the chain.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import pino from "pino";
import { type ChainBacking, startChainBacking } from "../../src/executor/chain/chain-backing.ts";
import { chainResultSigner } from "../../src/executor/chain/chain-result-signer.ts";
import { signBn254Task, signEcdsaTask } from "../support/aggregator-tasks.ts";
import {
  AGGREGATOR_BLS_KEY,
  AGGREGATOR_KEY,
  BN254_AVS,
  type ChainWorld,
  chainBackingInput,
  ECDSA_AVS,
  installChainWorld,
  taskFor,
} from "../support/chain-world.ts";
import { type LocalEvm, startLocalEvm } from "../support/local-evm.ts";

let evm: LocalEvm;
let world: ChainWorld;
let dir: string;
const log = pino({ level: "silent" });
const signal = new AbortController().signal;

before(async () => {
  evm = await startLocalEvm();
  world = await installChainWorld(evm.rpcUrl);
  dir = await mkdtemp(join(tmpdir(), "chain-backing-"));
});
after(async () => {
  await evm?.stop();
  await rm(dir, { recursive: true, force: true });
});

function backing(): Promise<ChainBacking> {
  return startChainBacking(chainBackingInput(evm.rpcUrl, dir), log);
}

describe("chain backing", () => {
  it("signs ECDSA and BN254 tasks, and after a restart on the same storage refuses the ids it answered", async () => {
    const first = await backing();
    assert.equal(first.readiness().ready, true);
    assert.equal(first.digests.local, true, first.digests.selfTestResult);
    const signer = chainResultSigner(first.authority);
    const ecdsa = signEcdsaTask(await taskFor(world, ECDSA_AVS), AGGREGATOR_KEY);
    const bn254 = signBn254Task(await taskFor(world, BN254_AVS), AGGREGATOR_BLS_KEY);
    for (const t of [ecdsa, bn254]) {
      await signer.admit(t, signal);
      const signed = await signer.signResult(t, Buffer.from("out"), signal);
      assert.equal(signed.result_signature.length, t === ecdsa ? 65 : 64);
      assert.ok(signed.auth_signature.length > 0);
    }
    await first.stop();

    const second = await backing();
    try {
      for (const t of [ecdsa, bn254]) {
        const error = await chainResultSigner(second.authority)
          .admit(t, signal)
          .then(
            () => assert.fail("admitted again"),
            (e) => e,
          );
        assert.equal(error.code, status.ALREADY_EXISTS);
        assert.match(error.details, /already processed/);
      }
    } finally {
      await second.stop();
    }
  });

  it("is not ready while the chain does not answer, naming the RPC, and ready again when it does", async () => {
    const b = await backing();
    try {
      await evm.stop();
      const deadline = Date.now() + 15_000;
      while (b.readiness().ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const down = b.readiness();
      assert.equal(down.ready, false);
      assert.ok(down.problem?.includes(evm.rpcUrl), down.problem);
      await evm.restart();
      world = await installChainWorld(evm.rpcUrl);
      while (!b.readiness().ready && Date.now() < deadline + 15_000)
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(b.readiness().ready, true, b.readiness().problem);
    } finally {
      await b.stop();
    }
  });
});
