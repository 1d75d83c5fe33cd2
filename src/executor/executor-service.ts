// The executor's gRPC handlers: ExecutorService (tasks, from the aggregator) and ExecutorManagementService
// (performers, from the operator). Decode, check, hand to the router or the performer manager, encode. Every call
// is answered, with a status from the error table that says why when it fails.
import type { ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from "@grpc/grpc-js";
import type {
  DeployArtifactRequest,
  DeployArtifactResponse,
  GetChallengeTokenRequest,
  GetChallengeTokenResponse,
  ListPerformersRequest,
  ListPerformersResponse,
  RemovePerformerRequest,
  RemovePerformerResponse,
  TaskResult,
  TaskSubmission,
} from "../grpc/messages.ts";
import { asServiceError, EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import { issueChallengeToken, type ManagementAuth, verifyManagementAuth } from "./management-auth.ts";
import { type PerformerRegistry, performerInfo } from "./performer-registry.ts";
import type { TaskRouter } from "./task-router.ts";

/** What differs between deployment modes: how performers are deployed and removed. */
export interface PerformerManager {
  /** Registers (and in kubernetes mode creates) the performers of every supported AVS. */
  start(): Promise<void>;
  deployArtifact(request: DeployArtifactRequest): Promise<DeployArtifactResponse>;
  removePerformer(request: Pick<RemovePerformerRequest, "performer_id">): Promise<RemovePerformerResponse>;
  /** Ends waits for performers to become Ready (a DeployArtifact in progress answers at once); the first step of
   * stopping, so that the drain of gRPC calls is not held up by them. */
  abortDeployments(): void;
  /** Stops watching; in kubernetes mode with cleanup_on_shutdown, deletes the executor's Performers. */
  shutdown(): Promise<void>;
}

function answer<Res>(callback: sendUnaryData<Res>, method: string, work: () => Promise<Res>): void {
  // A synchronous throw (a refused AuthSignature) is answered like a rejection.
  Promise.resolve()
    .then(work)
    .then(
      (response) => callback(null, response),
      (error: unknown) => callback(asServiceError(error, method)),
    );
}

function callDeadline(call: ServerUnaryCall<unknown, unknown>): Date | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/**
 * A signal that aborts when the client cancels the call, or the server gives it up (its deadline, a dropped
 * connection), and `done`, which stops listening: grpc-js emits "cancelled" after every call it has answered too,
 * and an abort then (a DOMException with its stack, an event dispatched) was a per-task cost of no use.
 */
function callSignal(call: ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (call.cancelled) abort();
  else call.once("cancelled", abort);
  return { signal: controller.signal, done: () => call.off("cancelled", abort) };
}

/** ExecutorService's handlers: SubmitTask from the aggregator, cancelled when its caller goes away. */
export function executorServiceImplementation(parts: { router: TaskRouter }): UntypedServiceImplementation {
  return {
    SubmitTask(call: ServerUnaryCall<TaskSubmission, TaskResult>, callback: sendUnaryData<TaskResult>) {
      const { signal, done } = callSignal(call);
      answer(callback, "SubmitTask", () =>
        parts.router.submitTask(call.request, { deadline: callDeadline(call), signal }).finally(done),
      );
    },
  };
}

/** ExecutorManagementService's handlers: DeployArtifact, ListPerformers and RemovePerformer, each signed over a
 * challenge token that GetChallengeToken issues to the operator. */
export function managementServiceImplementation(parts: {
  registry: PerformerRegistry;
  manager: PerformerManager;
  auth: ManagementAuth;
}): UntypedServiceImplementation {
  const { registry, manager, auth } = parts;
  return {
    DeployArtifact(
      call: ServerUnaryCall<DeployArtifactRequest, DeployArtifactResponse>,
      callback: sendUnaryData<DeployArtifactResponse>,
    ) {
      answer(callback, "DeployArtifact", () => {
        verifyManagementAuth(auth, call.request.auth);
        return manager.deployArtifact(call.request);
      });
    },
    ListPerformers(
      call: ServerUnaryCall<ListPerformersRequest, ListPerformersResponse>,
      callback: sendUnaryData<ListPerformersResponse>,
    ) {
      answer(callback, "ListPerformers", async () => {
        verifyManagementAuth(auth, call.request.auth);
        return { performers: registry.list(call.request.avs_address).map(performerInfo) };
      });
    },
    RemovePerformer(
      call: ServerUnaryCall<RemovePerformerRequest, RemovePerformerResponse>,
      callback: sendUnaryData<RemovePerformerResponse>,
    ) {
      answer(callback, "RemovePerformer", () => {
        verifyManagementAuth(auth, call.request.auth);
        if (!call.request.performer_id) {
          throw executorError(
            EXECUTOR_ERRORS.performerIdEmpty,
            "performer_id: required; ListPerformers shows the ids",
          );
        }
        return manager.removePerformer(call.request);
      });
    },
    GetChallengeToken(
      call: ServerUnaryCall<GetChallengeTokenRequest, GetChallengeTokenResponse>,
      callback: sendUnaryData<GetChallengeTokenResponse>,
    ) {
      answer(callback, "GetChallengeToken", async () => {
        const { token, expiresAtMs } = issueChallengeToken(auth, call.request.operator_address);
        return { challenge_token: token, expires_at: Math.floor(expiresAtMs / 1000) };
      });
    },
  };
}
