// The seam through which SubmitTask signs a result: the router asks a ResultSigner for TaskResult's two signatures
// and knows nothing of how they are made, so that another scheme (Hourglass's certificate digests) replaces this
// one in one place.
import type { TaskSubmission } from "../grpc/messages.ts";

/** The two signatures a TaskResult carries. */
export interface ResultSignatures {
  result_signature: Buffer;
  auth_signature: Buffer;
}

/** How SubmitTask admits a task and signs its result, whatever the scheme. */
export interface ResultSigner {
  /** TaskResult.operator_address: the operator whose key signs. */
  address: string;
  signResult(submission: TaskSubmission, output: Buffer, signal: AbortSignal): Promise<ResultSignatures>;
  /** Checks a task before its performer runs (Hourglass's validation); rejects with the status to answer. */
  admit?(submission: TaskSubmission, signal: AbortSignal): Promise<void>;
}
