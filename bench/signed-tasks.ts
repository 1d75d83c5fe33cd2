// Tasks as the aggregator sends them, for the load generator: each with a fresh id, signed with the chain world's
// aggregator key over the versioned submission message. Signed ahead of the load (up to `ahead` tasks), so that
// the client's own signing does not count as the executor's latency; past that, signed as they are sent, and
// counted.
import { randomBytes } from "node:crypto";
import { signHash } from "../src/executor/chain/ecdsa.ts";
import { TASK_MESSAGE_VERSION_V1, taskSubmissionMessage } from "../src/executor/chain/task-message.ts";
import { keccak256 } from "../src/executor/operator-signer.ts";
import type { TaskSubmission } from "../src/grpc/messages.ts";
import { AGGREGATOR_ADDRESS, AGGREGATOR_KEY, EXECUTOR_SET } from "../test/support/chain-world.ts";

export interface SignedTaskSource {
  next(): TaskSubmission;
  /** Tasks signed while the load ran, because the ones signed ahead ran out. */
  signedDuringLoad(): number;
}

export function signedTasks(options: {
  avs: string;
  operator: string;
  blockNumber: bigint;
  payload: Buffer;
  ahead: number;
}): SignedTaskSource {
  const key = Buffer.from(AGGREGATOR_KEY.slice(2), "hex");
  const referenceTimestamp = 1_700_000_000;
  const prefix = randomBytes(24).toString("hex");
  let sequence = 0;
  const sign = (): TaskSubmission => {
    const taskId = `0x${prefix}${(sequence++).toString(16).padStart(16, "0")}`;
    const message = taskSubmissionMessage(
      {
        taskId,
        avsAddress: options.avs,
        executorAddress: options.operator,
        referenceTimestamp,
        blockNumber: options.blockNumber,
        operatorSetId: EXECUTOR_SET,
        payload: options.payload,
      },
      TASK_MESSAGE_VERSION_V1,
    );
    return {
      task_id: taskId,
      aggregator_address: AGGREGATOR_ADDRESS,
      avs_address: options.avs,
      payload: options.payload,
      signature: signHash(keccak256(message), key),
      operator_set_id: EXECUTOR_SET,
      reference_timestamp: referenceTimestamp,
      executor_address: options.operator,
      task_block_number: options.blockNumber.toString(),
      version: TASK_MESSAGE_VERSION_V1,
    };
  };
  const pool = Array.from({ length: options.ahead }, sign);
  let late = 0;
  return {
    next: () => {
      const task = pool.pop();
      if (task) return task;
      late++;
      return sign();
    },
    signedDuringLoad: () => late,
  };
}
