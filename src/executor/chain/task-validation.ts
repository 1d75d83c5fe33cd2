// The checks Hourglass's executor makes of a task before running it (validateTaskSubmission, the executor-address
// check, validateTaskSignature in ponos/pkg/executor/handlers.go), as pure functions over the task and the
// chain's facts. Each failure is a gRPC status naming the check and the values involved.
import { type ServiceError, status } from "@grpc/grpc-js";
import type { TaskSubmission } from "../../grpc/messages.ts";
import { statusError } from "../../grpc/status.ts";
import { keccak256 } from "../operator-signer.ts";
import { bn254Verify, type G2Point, g1FromBytes, hashToG1 } from "./bn254.ts";
import type { OperatorSetKey } from "./chain-facts.ts";
import { recoverAddress } from "./ecdsa.ts";
import { taskSubmissionMessage } from "./task-message.ts";

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
export function blockNumberOf(task: ChainTaskSubmission): bigint {
  return BigInt(task.task_block_number);
}

/** The message the aggregator signed, rebuilt with our operator as the executor (as upstream does). */
export function submissionMessage(task: ChainTaskSubmission, operatorAddress: string): Buffer | ServiceError {
  try {
    return taskSubmissionMessage(
      {
        taskId: task.task_id,
        avsAddress: task.avs_address,
        executorAddress: operatorAddress,
        referenceTimestamp: task.reference_timestamp,
        blockNumber: blockNumberOf(task),
        operatorSetId: task.operator_set_id,
        payload: task.payload,
      },
      task.version,
    );
  } catch (error) {
    return statusError(status.INVALID_ARGUMENT, `version: ${(error as Error).message}`);
  }
}

/** Checks a BN254 signature of a digest (hash_to_curve) against a G2 key: the pairing, wherever it runs. */
export type Bn254Verifier = (
  signature: Uint8Array,
  digest: Uint8Array,
  publicKey: G2Point,
) => Promise<boolean> | boolean;

/** The BN254 check on the calling thread (the authority runs it on a worker thread by default). */
export const verifyBn254Here: Bn254Verifier = (signature, digest, publicKey) =>
  bn254Verify(g1FromBytes(signature), hashToG1(digest), publicKey);

/** validateTaskSignature's last step: the aggregator's signature over keccak256(message), by its set's curve. */
export async function checkAggregatorSignature(
  task: ChainTaskSubmission,
  message: Uint8Array,
  aggregatorKey: OperatorSetKey,
  verifyBn254: Bn254Verifier = verifyBn254Here,
): Promise<ServiceError | undefined> {
  const denied = (why: string) =>
    statusError(
      status.PERMISSION_DENIED,
      `signature: the aggregator's ${aggregatorKey.curve.toUpperCase()} signature on task ${task.task_id} ${why}`,
    );
  const digest = keccak256(message);
  if (aggregatorKey.curve === "ecdsa") {
    let signer: string;
    try {
      signer = recoverAddress(digest, task.signature);
    } catch (error) {
      return denied(`is malformed: ${(error as Error).message}`);
    }
    if (signer !== aggregatorKey.ecdsaAddress.toLowerCase()) {
      return denied(
        `does not verify: it recovers to ${signer}, the key registered for aggregator ${task.aggregator_address} is ${aggregatorKey.ecdsaAddress}`,
      );
    }
    return undefined;
  }
  try {
    g1FromBytes(task.signature);
  } catch (error) {
    return denied(`is malformed: ${(error as Error).message}`);
  }
  if (!(await verifyBn254(task.signature, digest, aggregatorKey.publicKey))) {
    return denied(
      `does not verify against the BN254 key registered for aggregator ${task.aggregator_address}`,
    );
  }
  return undefined;
}
