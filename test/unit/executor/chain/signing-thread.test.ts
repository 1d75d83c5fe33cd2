import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak256, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { SigningThreads } from "../../../../src/executor/chain/signing-thread.ts";
import { authSigningBytes } from "../../../../src/executor/chain/task-message.ts";
import { signEcdsaTask, unsignedTask } from "../../../support/aggregator-tasks.ts";

const AGGREGATOR_KEY = `0x${"11".repeat(32)}` as const;
const OPERATOR_KEY = `0x${"22".repeat(32)}` as const;
const AGGREGATOR = privateKeyToAccount(AGGREGATOR_KEY).address;
const OPERATOR = privateKeyToAccount(OPERATOR_KEY).address;
const AVS = "0x00000000000000000000000000000000000ec0a1";

const task = signEcdsaTask(
  unsignedTask({
    avs: AVS,
    aggregator: AGGREGATOR,
    executor: OPERATOR,
    operatorSetId: 1,
    blockNumber: 7n,
    // A view into a larger buffer, as gRPC hands payloads over: only its own bytes may cross.
    payload: Buffer.concat([Buffer.alloc(64, 0xee), Buffer.from("a task payload")]).subarray(64),
  }),
  AGGREGATOR_KEY,
);
const aggregatorKey = { curve: "ecdsa" as const, ecdsaAddress: AGGREGATOR, socket: "" };
const auth = { taskId: task.task_id, avsAddress: AVS, operatorAddress: OPERATOR, operatorSetId: 1 };
const request = {
  curve: "ecdsa" as const,
  key: toBytes(OPERATOR_KEY),
  digest: { given: toBytes(keccak256(Buffer.from("certificate digest bytes"))) },
  auth,
};

const pools = { "on the event loop": new SigningThreads(0), "on two threads": new SigningThreads(2) };
after(() => Promise.all(Object.values(pools).map((pool) => pool.close())));

for (const [where, pool] of Object.entries(pools)) {
  describe(`signing ${where}`, () => {
    it("verifies the aggregator's signature and says why a tampered task's does not verify", async () => {
      assert.equal(await pool.checkAggregatorSignature(task, OPERATOR, aggregatorKey), undefined);
      const tampered = { ...task, payload: Buffer.from("another payload") };
      assert.match(
        (await pool.checkAggregatorSignature(tampered, OPERATOR, aggregatorKey)) ?? "",
        /^signature: the aggregator's ECDSA signature on task 0x[0-9a-f]{64} does not verify: it recovers to 0x/,
      );
      const short = { ...task, signature: Buffer.from([1, 2, 3]) };
      assert.match(
        (await pool.checkAggregatorSignature(short, OPERATOR, aggregatorKey)) ?? "",
        /is malformed: expected 65 bytes/,
      );
    });

    it("signs the digest and the auth bytes with the operator's key, as Buffers", async () => {
      const signed = await pool.sign(request);
      assert.ok(Buffer.isBuffer(signed.resultSignature) && Buffer.isBuffer(signed.authSignature));
      // Checked with another library: each signature recovers to the operator over what it signs.
      const recovers = (signature: Buffer, hash: Uint8Array) =>
        secp256k1.Signature.fromBytes(signature.subarray(0, 64), "compact")
          .addRecoveryBit(signature[64]! - 27)
          .recoverPublicKey(hash)
          .toHex(false);
      const operatorPublicKey = Buffer.from(secp256k1.getPublicKey(toBytes(OPERATOR_KEY), false)).toString(
        "hex",
      );
      assert.equal(
        recovers(signed.resultSignature, toBytes(keccak256(request.digest.given))),
        operatorPublicKey,
      );
      const authBytes = authSigningBytes({ ...auth, resultSignature: signed.resultSignature });
      assert.equal(recovers(signed.authSignature, toBytes(keccak256(authBytes))), operatorPublicKey);
    });
  });
}

describe("signing threads", () => {
  it("answer each of many jobs sent in one event-loop turn (one message each way) with its own signatures", async () => {
    const requests = Array.from({ length: 20 }, (_, i) => ({
      ...request,
      digest: { given: toBytes(keccak256(Buffer.from(`digest ${i}`))) },
    }));
    const threaded = await Promise.all(requests.map((r) => pools["on two threads"].sign(r)));
    // RFC 6979 nonces: the same key over the same digest gives the same bytes on any thread.
    const here = await Promise.all(requests.map((r) => pools["on the event loop"].sign(r)));
    assert.deepEqual(threaded, here);
    assert.equal(new Set(threaded.map((s) => s.resultSignature.toString("hex"))).size, 20);
  });

  it("stop waiting when the caller's signal aborts, with an AbortError giving its reason", async () => {
    const pool = new SigningThreads(1);
    try {
      const controller = new AbortController();
      const pending = pool.sign(request, controller.signal);
      controller.abort("deadline passed");
      await assert.rejects(pending, { name: "AbortError", message: "signing thread: deadline passed" });
      await assert.rejects(pool.sign(request, controller.signal), { name: "AbortError" });
      // The thread itself is still there for the next caller.
      assert.equal((await pool.sign(request)).resultSignature.length, 65);
    } finally {
      await pool.close();
    }
  });
});
