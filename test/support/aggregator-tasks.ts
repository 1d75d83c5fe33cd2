// Tasks as Hourglass's aggregator sends them: the versioned submission message laid out with viem's ABI encoder
// and signed with the aggregator's key (ECDSA with @noble/curves, v = 27/28; BN254 as crypto-libs' Sign).
import { randomBytes } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { encodeAbiParameters, type Hex, keccak256, toBytes } from "viem";
import { bn254Sign, hashToG1 } from "../../src/executor/chain/bn254.ts";
import type { ChainTaskSubmission } from "../../src/executor/chain/task-validation.ts";

export interface TaskSpec {
  avs: string;
  aggregator: string;
  executor: string;
  operatorSetId: number;
  blockNumber: bigint;
  referenceTimestamp?: number;
  payload?: Buffer;
  taskId?: string;
}

export function submissionBytes(t: Omit<ChainTaskSubmission, "signature">): Uint8Array {
  return toBytes(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "address" },
        { type: "uint32" },
        { type: "uint32" },
        { type: "uint64" },
        { type: "bytes32" },
      ],
      [
        t.task_id as Hex,
        t.avs_address as Hex,
        t.executor_address as Hex,
        t.operator_set_id,
        t.reference_timestamp,
        BigInt(t.task_block_number),
        keccak256(t.payload),
      ],
    ),
  );
}

export function unsignedTask(spec: TaskSpec): Omit<ChainTaskSubmission, "signature"> {
  return {
    task_id: spec.taskId ?? `0x${randomBytes(32).toString("hex")}`,
    aggregator_address: spec.aggregator,
    avs_address: spec.avs,
    payload: spec.payload ?? Buffer.from("a task payload"),
    operator_set_id: spec.operatorSetId,
    reference_timestamp: spec.referenceTimestamp ?? 1_700_000_000,
    executor_address: spec.executor,
    task_block_number: spec.blockNumber.toString(),
    version: 1,
  };
}

export function signEcdsaTask(
  task: Omit<ChainTaskSubmission, "signature">,
  privateKey: Hex,
): ChainTaskSubmission {
  const digest = toBytes(keccak256(submissionBytes(task)));
  const recovered = secp256k1.sign(digest, toBytes(privateKey), { prehash: false, format: "recovered" });
  // noble puts the recovery byte first (0/1); Hourglass sends r ‖ s ‖ v with v = 27/28.
  const signature = Buffer.concat([recovered.subarray(1), Buffer.from([recovered[0]! + 27])]);
  return { ...task, signature };
}

export function signBn254Task(
  task: Omit<ChainTaskSubmission, "signature">,
  secretKey: bigint,
): ChainTaskSubmission {
  const digest = toBytes(keccak256(submissionBytes(task)));
  return { ...task, signature: bn254Sign(secretKey, hashToG1(digest)) };
}
