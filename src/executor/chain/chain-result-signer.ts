// The chain-backed authority behind SubmitTask's signing seam: `admit` runs Hourglass's checks before the
// performer is called, `signResult` makes the two signatures of the admitted task and remembers its id.
import type { TaskSubmission } from "../../grpc/messages.ts";
import type { ResultSigner } from "../result-signer.ts";
import type { Admission, ChainTaskAuthority } from "./task-authority.ts";

/** The SubmitTask signing seam backed by the chain: admits a task before the performer runs, then signs its
 * result. */
export function chainResultSigner(authority: ChainTaskAuthority): Required<ResultSigner> {
  // Admissions by task object: the router hands signResult the submission it admitted.
  const admitted = new WeakMap<TaskSubmission, Admission>();
  return {
    address: authority.operatorAddress,
    async admit(submission, signal) {
      admitted.set(submission, await authority.admit(submission, signal));
    },
    async signResult(submission, output, signal) {
      const admission = admitted.get(submission) ?? (await authority.admit(submission, signal));
      const { resultSignature, authSignature } = await authority.sign(submission, admission, output, signal);
      authority.markProcessed(submission.task_id);
      return { result_signature: resultSignature, auth_signature: authSignature };
    },
  };
}
