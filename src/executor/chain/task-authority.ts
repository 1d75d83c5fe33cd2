// What stands between a task and the operator's keys, backed by the chain: a task is admitted only when it is
// well formed, not answered before, addressed to this operator, for an operator set this operator is in, and
// signed by the AVS's aggregator (ECDSA or BN254, read at the task's block); its result is signed as Hourglass
// signs it, and its id is then remembered. I/O (the chain, the store) is here; the checks are task-validation.ts.
import { type ServiceError, status } from "@grpc/grpc-js";
import { isServiceError, statusError } from "../../grpc/status.ts";
import type { CurveType } from "./abis.ts";
import type { CertificateDigests, SignedCurve } from "./certificate-digests.ts";
import { ChainCallError } from "./chain-client.ts";
import { type ChainFacts, NotInOperatorSet, type OperatorSetKey } from "./chain-facts.ts";
import { type ResultSignatures, requireKey, type SigningKeys } from "./result-signatures.ts";
import { SigningThreads } from "./signing-thread.ts";
import type { TaskStore } from "./task-store.ts";
import {
  blockNumberOf,
  type ChainTaskSubmission,
  checkExecutorAddress,
  checkMessageVersion,
  checkSubmissionFields,
} from "./task-validation.ts";

/** The chain facts, digests, task store and keys a ChainTaskAuthority admits and signs with. */
export interface ChainTaskAuthorityOptions {
  facts: ChainFacts;
  digests: CertificateDigests;
  store: TaskStore;
  /** The operator this executor signs for (as configured: results carry it in this spelling). */
  operatorAddress: string;
  keys: SigningKeys;
  /** Where the signature work runs (default: a pool of its own, without threads for ECDSA work). */
  threads?: SigningThreads;
}

/** What admission found out, for signing the result. */
export interface Admission {
  curve: CurveType;
}

/** A chain read that failed, as the status the aggregator gets. */
function chainStatus(error: unknown, check: string): ServiceError {
  if (isServiceError(error)) return error;
  if (error instanceof ChainCallError) {
    return statusError(
      error.unreachable ? status.UNAVAILABLE : status.FAILED_PRECONDITION,
      `${check}: ${error.message}`,
    );
  }
  if ((error as Error)?.name === "AbortError") {
    return statusError(status.CANCELLED, `${check}: given up (${(error as Error).message})`);
  }
  return statusError(status.INTERNAL, `${check}: ${(error as Error)?.message ?? error}`);
}

/** Admits a task only after Hourglass's checks against the chain, then signs its result once and remembers
 * its id. */
export class ChainTaskAuthority {
  readonly #o: ChainTaskAuthorityOptions;
  readonly #threads: SigningThreads;

  constructor(options: ChainTaskAuthorityOptions) {
    this.#o = options;
    this.#threads = options.threads ?? new SigningThreads();
  }

  /** Ends the signing threads. */
  close(): Promise<void> {
    return this.#threads.close();
  }

  /** The operator this executor signs for, as configured. */
  get operatorAddress(): string {
    return this.#o.operatorAddress;
  }

  /** Resolves when the task may run; rejects with the status of the first check that refuses it. */
  async admit(task: ChainTaskSubmission, signal?: AbortSignal): Promise<Admission> {
    const { facts, store, operatorAddress } = this.#o;
    const refused = checkSubmissionFields(task);
    if (refused) throw refused;
    if (store.isProcessed(task.task_id)) {
      throw statusError(
        status.ALREADY_EXISTS,
        `task ${task.task_id} already processed: this executor signs each task once; send a new task id`,
      );
    }
    const notOurs = checkExecutorAddress(task, operatorAddress);
    if (notOurs) throw notOurs;
    const badVersion = checkMessageVersion(task);
    if (badVersion) throw badVersion;

    const block = blockNumberOf(task);
    const at = block ? ` at block ${block}` : "";
    const operatorKey = facts
      .operatorSetKey(operatorAddress, task.avs_address, task.operator_set_id, block, signal)
      .catch((error: unknown) => {
        throw error instanceof NotInOperatorSet
          ? statusError(
              status.FAILED_PRECONDITION,
              `operator set: operator ${operatorAddress} is not in operator set ${task.operator_set_id} of AVS ${task.avs_address}${at} (${error.message})`,
            )
          : chainStatus(error, "operator set");
      });
    const aggregatorKey = facts
      .aggregatorOperatorSetId(task.avs_address, block, signal)
      .then((setId) =>
        facts
          .operatorSetKey(task.aggregator_address, task.avs_address, setId, block, signal)
          .catch((error: unknown) => {
            throw error instanceof NotInOperatorSet
              ? statusError(
                  status.PERMISSION_DENIED,
                  `aggregator_address: ${task.aggregator_address} is not in AVS ${task.avs_address}'s aggregator operator set ${setId}${at} (${error.message})`,
                )
              : error;
          }),
      )
      .catch((error: unknown) => {
        throw chainStatus(error, "aggregator operator set");
      });
    // Both reads are asked together (one batched request); the operator's answer is reported first, as upstream.
    const [ours, theirs] = await Promise.allSettled([operatorKey, aggregatorKey]);
    if (ours.status === "rejected") throw ours.reason;
    if (theirs.status === "rejected") throw theirs.reason;
    const badSignature = await this.#threads
      .checkAggregatorSignature(task, operatorAddress, theirs.value as OperatorSetKey, signal)
      .catch((error: unknown) => {
        throw chainStatus(error, "signature");
      });
    if (badSignature) throw statusError(status.PERMISSION_DENIED, badSignature);
    return { curve: (ours.value as OperatorSetKey).curve };
  }

  /** result_signature and auth_signature of `output`, by the curve of the task's operator set. */
  async sign(
    task: ChainTaskSubmission,
    admission: Admission,
    output: Uint8Array,
    signal?: AbortSignal,
  ): Promise<ResultSignatures> {
    const { digests, keys, operatorAddress } = this.#o;
    let key: Uint8Array | bigint;
    try {
      key = requireKey(keys, admission.curve);
    } catch (error) {
      throw statusError(
        status.FAILED_PRECONDITION,
        `signing task ${task.task_id}: ${(error as Error).message}`,
      );
    }
    const curve = admission.curve as SignedCurve;
    const input = { taskId: task.task_id, output, referenceTimestamp: task.reference_timestamp };
    const auth = {
      taskId: task.task_id,
      avsAddress: task.avs_address,
      operatorAddress,
      operatorSetId: task.operator_set_id,
    };
    try {
      const domainSeparator = digests.domainSeparator;
      const digest = domainSeparator
        ? { local: { ...input, domainSeparator } }
        : { given: await digests.onChain(curve, input, signal) };
      return await this.#threads.sign({ curve, key, digest, auth }, signal);
    } catch (error) {
      throw chainStatus(error, `certificate digest of task ${task.task_id}`);
    }
  }

  /** Remembers a task as answered, so that it is never signed again. */
  markProcessed(taskId: string): void {
    this.#o.store.markProcessed(taskId);
  }
}
