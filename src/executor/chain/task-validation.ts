// The checks Hourglass's executor makes of a task before running it (validateTaskSubmission, the executor-address
// check, validateTaskSignature in ponos/pkg/executor/handlers.go), as pure functions over the task and the
// chain's facts. Each failure is a gRPC status naming the check and the values involved. The signature check
// itself is aggregator-signature.ts, which runs on a signing thread.
import { type ServiceError, status } from "@grpc/grpc-js";
import type { TaskSubmission } from "../../grpc/messages.ts";
import { statusError } from "../../grpc/status.ts";
import { unsupportedMessageVersion } from "./task-message.ts";

/** TaskSubmission's fields as the executor's gRPC server decodes them (uint64 as a decimal string). */
export type ChainTaskSubmission = Omit<TaskSubmission, "taskIdBytes">;

const TASK_ID = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function quoted(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

/** validateTaskSubmission: the task's own fields. INVALID_ARGUMENT naming the field. */
export function checkSubmissionFields(task: ChainTaskSubmission): ServiceError | undefined {
  const invalid = (details: string) => statusError(status.INVALID_ARGUMENT, details);
  if (!TASK_ID.test(task.task_id)) {
    return invalid(`task_id: expected 0x + 64 hex digits (a bytes32), got ${quoted(task.task_id)}`);
  }
  for (const field of ["aggregator_address", "avs_address", "executor_address"] as const) {
    if (!ADDRESS.test(task[field])) {
      return invalid(`${field}: expected 0x + 40 hex digits (an address), got ${quoted(task[field])}`);
    }
  }
  if (task.signature.length === 0) {
    return invalid("signature: empty; the aggregator must sign the task submission message");
  }
  if (!task.reference_timestamp) {
    return invalid("reference_timestamp: cannot be zero; set it to the operator table's reference timestamp");
  }
  if (!/^\d+$/.test(String(task.task_block_number))) {
    return invalid(
      `task_block_number: expected an unsigned integer, got ${quoted(String(task.task_block_number))}`,
    );
  }
  return undefined;
}

/** The task must be addressed to this executor's operator. */
export function checkExecutorAddress(
  task: ChainTaskSubmission,
  operatorAddress: string,
): ServiceError | undefined {
  if (task.executor_address.toLowerCase() === operatorAddress.toLowerCase()) return undefined;
  return statusError(
    status.PERMISSION_DENIED,
    `executor_address: task ${task.task_id} is for executor ${task.executor_address}, this executor's operator is ${operatorAddress}`,
  );
}

/** The block a task was made at, where its operator-set facts are read. */
export function blockNumberOf(task: Pick<TaskSubmission, "task_block_number">): bigint {
  return BigInt(task.task_block_number);
}

/** The message's version must be one this executor can rebuild the signed bytes of. */
export function checkMessageVersion(task: ChainTaskSubmission): ServiceError | undefined {
  const unsupported = unsupportedMessageVersion(task.version);
  return unsupported ? statusError(status.INVALID_ARGUMENT, `version: ${unsupported}`) : undefined;
}
