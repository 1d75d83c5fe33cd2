import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { encodeAbiParameters, hashTypedData, keccak256, toBytes, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { coreContractsFor } from "../../../../src/executor/chain/contract-addresses.ts";
import { recoverAddress, signHash } from "../../../../src/executor/chain/ecdsa.ts";
import {
  authSigningBytes,
  bn254CertificateDigest,
  ecdsaCertificateDigestBytes,
  ecdsaDomainSeparator,
  majorVersion,
  taskMessageHash,
  taskSubmissionMessage,
} from "../../../../src/executor/chain/task-message.ts";
import {
  checkExecutorAddress,
  checkSubmissionFields,
} from "../../../../src/executor/chain/task-validation.ts";
import { submissionBytes } from "../../../support/aggregator-tasks.ts";

const TASK_ID = `0x${"1f".repeat(32)}`;
const AVS = "0x00000000000000000000000000000000000ec0a1";
const OPERATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const VERIFIER = "0xb3cd1a457dea9a9a6f6406c6419b1c326670a96f";

// Expected values come from viem's ABI encoder and EIP-712 hasher, not from the code under test.
describe("Hourglass's byte layouts and EigenLayer's digests", () => {
  it("lays out the task submission message as 7 ABI words (224 bytes)", () => {
    const fields = {
      task_id: TASK_ID,
      aggregator_address: OPERATOR,
      avs_address: AVS,
      executor_address: OPERATOR,
      payload: Buffer.from("payload"),
      operator_set_id: 3,
      reference_timestamp: 1_700_000_123,
      task_block_number: "18446744073709551615",
      version: 1,
    };
    const ours = taskSubmissionMessage(
      {
        taskId: TASK_ID,
        avsAddress: AVS,
        executorAddress: OPERATOR,
        referenceTimestamp: 1_700_000_123,
        blockNumber: 18446744073709551615n,
        operatorSetId: 3,
        payload: Buffer.from("payload"),
      },
      1,
    );
    assert.equal(ours.length, 224);
    assert.equal(toHex(ours), toHex(submissionBytes(fields)));
    assert.throws(
      () =>
        taskSubmissionMessage(
          {
            ...fields,
            taskId: TASK_ID,
            avsAddress: AVS,
            executorAddress: OPERATOR,
            referenceTimestamp: 1,
            blockNumber: 1n,
            operatorSetId: 1,
          },
          0,
        ),
      /version 0/,
    );
  });

  it("lays out the auth bytes as 5 ABI words (160 bytes) ending in keccak256(result_signature)", () => {
    const resultSignature = Buffer.from("a result signature");
    const ours = authSigningBytes({
      taskId: TASK_ID,
      avsAddress: AVS,
      operatorAddress: OPERATOR,
      operatorSetId: 7,
      resultSignature,
    });
    const expected = encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "address" },
        { type: "uint32" },
        { type: "bytes32" },
      ],
      [TASK_ID as `0x${string}`, AVS, OPERATOR, 7, keccak256(resultSignature)],
    );
    assert.equal(toHex(ours), expected);
  });

  it("hashes (taskHash, output) as abi.encode(bytes32, bytes) for every output length around a word", () => {
    for (const length of [0, 1, 31, 32, 33, 64, 65, 1000]) {
      const output = Buffer.alloc(length, 0xab);
      const expected = keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes" }],
          [TASK_ID as `0x${string}`, toHex(output)],
        ),
      );
      assert.equal(toHex(taskMessageHash(toBytes(TASK_ID), output)), expected, `output of ${length} bytes`);
    }
  });

  it("builds the ECDSA certificate digest as EIP-712 without chainId, and the BN254 digest as its struct hash", () => {
    const messageHash = keccak256(toBytes("message"));
    const bytes = ecdsaCertificateDigestBytes(
      ecdsaDomainSeparator("1.8.0", VERIFIER),
      42,
      toBytes(messageHash),
    );
    assert.equal(bytes.length, 66);
    const expected = hashTypedData({
      domain: { name: "EigenLayer", version: "1", verifyingContract: VERIFIER },
      types: {
        ECDSACertificate: [
          { name: "referenceTimestamp", type: "uint32" },
          { name: "messageHash", type: "bytes32" },
        ],
      },
      primaryType: "ECDSACertificate",
      message: { referenceTimestamp: 42, messageHash },
    });
    assert.equal(keccak256(bytes), expected);
    const typehash = keccak256(toBytes("BN254Certificate(uint32 referenceTimestamp,bytes32 messageHash)"));
    assert.equal(
      toHex(bn254CertificateDigest(42, toBytes(messageHash))),
      keccak256(
        encodeAbiParameters(
          [{ type: "bytes32" }, { type: "uint32" }, { type: "bytes32" }],
          [typehash, 42, messageHash],
        ),
      ),
    );
    assert.equal(majorVersion("v2.0.1"), "v");
  });
});

describe("ECDSA over a hash", () => {
  const key = toBytes("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  const address = privateKeyToAccount(toHex(key)).address.toLowerCase();

  it("signs r ‖ s ‖ v with v = 27/28, and a second library recovers the signer", () => {
    const vs = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const hash = toBytes(keccak256(toBytes(`digest ${i}`)));
      const signature = signHash(hash, key);
      vs.add(signature[64]!);
      const recovered = new Uint8Array([signature[64]! - 27, ...signature.subarray(0, 64)]);
      const publicKey = secp256k1.recoverPublicKey(recovered, hash, { prehash: false });
      assert.equal(
        toHex(secp256k1.Point.fromBytes(publicKey).toBytes(true)),
        toHex(secp256k1.getPublicKey(key, true)),
      );
      assert.equal(recoverAddress(hash, signature), address);
    }
    assert.deepEqual([...vs].sort(), [27, 28]);
  });

  it("says why a signature cannot be recovered", () => {
    const hash = toBytes(keccak256(toBytes("x")));
    assert.throws(() => recoverAddress(hash, Buffer.alloc(1)), /expected 65 bytes/);
    const bad = signHash(hash, key);
    bad[64] = 5;
    assert.throws(() => recoverAddress(hash, bad), /v must be 0, 1, 27 or 28, got 5/);
  });
});

describe("task fields and addresses", () => {
  const task = {
    task_id: TASK_ID,
    aggregator_address: OPERATOR,
    avs_address: AVS,
    executor_address: OPERATOR,
    payload: Buffer.from("p"),
    signature: Buffer.from([1]),
    operator_set_id: 1,
    reference_timestamp: 5,
    task_block_number: "9",
    version: 1,
  };

  it("names the field that is malformed", () => {
    assert.equal(checkSubmissionFields(task), undefined);
    assert.match(checkSubmissionFields({ ...task, task_id: `0X${"1f".repeat(32)}` })!.details, /^task_id/);
    assert.match(
      checkSubmissionFields({ ...task, avs_address: "0x12" })!.details,
      /^avs_address: expected 0x \+ 40 hex/,
    );
    assert.match(
      checkSubmissionFields({ ...task, aggregator_address: `${OPERATOR}00` })!.details,
      /^aggregator_address/,
    );
    assert.match(checkSubmissionFields({ ...task, executor_address: "" })!.details, /^executor_address/);
    assert.match(
      checkSubmissionFields({ ...task, signature: Buffer.alloc(0) })!.details,
      /^signature: empty/,
    );
    assert.match(checkSubmissionFields({ ...task, reference_timestamp: 0 })!.details, /^reference_timestamp/);
  });

  it("compares executor_address with the operator whatever the case", () => {
    assert.equal(
      checkExecutorAddress({ ...task, executor_address: OPERATOR.toLowerCase() }, OPERATOR),
      undefined,
    );
    assert.match(
      checkExecutorAddress({ ...task, executor_address: AVS }, OPERATOR)!.details,
      /is for executor 0x0+ec0a1, this executor's operator is 0x7099/,
    );
  });

  it("uses Hourglass's addresses per chain id, and moves the TaskMailbox only for the override's chains", () => {
    assert.equal(coreContractsFor(31337).KeyRegistrar, "0xa4db30d08d8bbca00d40600bee9f029984db162a");
    assert.equal(coreContractsFor(1).TaskMailbox, "0x132b466d9d5723531F68797519DfED701aC2C749");
    const mailbox = "0x00000000000000000000000000000000000000aa";
    const overrides = {
      taskMailbox: {
        contract: JSON.stringify({ name: "TaskMailbox", address: mailbox, chainId: 31337 }),
        chainIds: [31337],
      },
    };
    assert.equal(coreContractsFor(31337, overrides).TaskMailbox, mailbox);
    assert.equal(coreContractsFor(1, overrides).TaskMailbox, "0x132b466d9d5723531F68797519DfED701aC2C749");
    assert.equal(
      coreContractsFor(31337, { taskMailbox: { contract: mailbox, chainIds: [31337] } }).TaskMailbox,
      mailbox,
    );
    assert.throws(
      () => coreContractsFor(31337, { taskMailbox: { contract: "{nope", chainIds: [31337] } }),
      /overrideContracts\.taskMailbox\.contract/,
    );
    assert.throws(
      () => coreContractsFor(5),
      /l1Chain\.chainId: no EigenLayer contracts are known for chain 5/,
    );
  });
});
