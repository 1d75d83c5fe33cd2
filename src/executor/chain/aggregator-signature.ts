// validateTaskSignature's last step (ponos/pkg/executor/handlers.go): the aggregator's signature over keccak256
// of the task-submission message, by its operator set's curve. Pure and synchronous, free of gRPC, so that it
// runs on a signing thread (signing-thread.ts): keccak-256 over the payload and the signature check are most of
// a task's admission CPU.
import type { TaskSubmission } from "../../grpc/messages.ts";
import { keccak256 } from "../operator-signer.ts";
import { bn254Verify, type G1Point, g1FromBytes, hashToG1 } from "./bn254.ts";
import type { OperatorSetKey } from "./chain-facts.ts";
import { recoverAddress } from "./ecdsa.ts";
import { taskSubmissionMessage } from "./task-message.ts";

/** What the aggregator's signature covers and is checked with: the task's fields that its message binds. */
export type AggregatorSignedTask = Pick<
  TaskSubmission,
  | "task_id"
  | "aggregator_address"
  | "avs_address"
  | "operator_set_id"
  | "reference_timestamp"
  | "task_block_number"
  | "version"
> & { payload: Uint8Array; signature: Uint8Array };

/** The message the aggregator signed, rebuilt with our operator as the executor (as upstream does). Throws for
 * a version Hourglass does not define (task-validation.ts's checkMessageVersion refuses it first). */
export function submissionMessage(task: AggregatorSignedTask, operatorAddress: string): Buffer {
  return taskSubmissionMessage(
    {
      taskId: task.task_id,
      avsAddress: task.avs_address,
      executorAddress: operatorAddress,
      referenceTimestamp: task.reference_timestamp,
      blockNumber: BigInt(task.task_block_number),
      operatorSetId: task.operator_set_id,
      payload: task.payload,
    },
    task.version,
  );
}

/** Undefined when the aggregator's signature on `task` verifies against its registered key, else the
 * PERMISSION_DENIED details saying why. */
export function aggregatorSignatureProblem(
  task: AggregatorSignedTask,
  operatorAddress: string,
  aggregatorKey: OperatorSetKey,
): string | undefined {
  const denied = (why: string) =>
    `signature: the aggregator's ${aggregatorKey.curve.toUpperCase()} signature on task ${task.task_id} ${why}`;
  const digest = keccak256(submissionMessage(task, operatorAddress));
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
  let signature: G1Point;
  try {
    signature = g1FromBytes(task.signature);
  } catch (error) {
    return denied(`is malformed: ${(error as Error).message}`);
  }
  if (!bn254Verify(signature, hashToG1(digest), aggregatorKey.publicKey)) {
    return denied(
      `does not verify against the BN254 key registered for aggregator ${task.aggregator_address}`,
    );
  }
  return undefined;
}
