// ExecutorService's gRPC handlers: decode, hand to the router or the performer manager, encode. Every call is
// answered, with a status that says why when it fails.
import {
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type {
  DeployArtifactRequest,
  DeployArtifactResponse,
  ListPerformersRequest,
  ListPerformersResponse,
  RemovePerformerRequest,
  RemovePerformerResponse,
  TaskResult,
  TaskSubmission,
} from "../grpc/messages.ts";
import { isServiceError, statusError } from "../grpc/status.ts";
import { type PerformerRegistry, performerInfo } from "./performer-registry.ts";
import type { TaskRouter } from "./task-router.ts";

/** What differs between deployment modes: how performers are deployed and removed. */
export interface PerformerManager {
  /** Registers (and in kubernetes mode creates) the performers of every supported AVS. */
  start(): Promise<void>;
  deployArtifact(request: DeployArtifactRequest): Promise<DeployArtifactResponse>;
  removePerformer(request: RemovePerformerRequest): Promise<RemovePerformerResponse>;
  /** Ends waits for performers to become Ready (a DeployArtifact in progress answers at once); the first step of
   * stopping, so that the drain of gRPC calls is not held up by them. */
  abortDeployments(): void;
  /** Stops watching; in kubernetes mode with cleanup_on_shutdown, deletes the executor's Performers. */
  shutdown(): Promise<void>;
}

function answer<Res>(callback: sendUnaryData<Res>, work: Promise<Res>): void {
  work.then(
    (response) => callback(null, response),
    (error: unknown) =>
      callback(
        isServiceError(error)
          ? error
          : statusError(status.INTERNAL, String((error as Error)?.message ?? error)),
      ),
  );
}

function callDeadline(call: ServerUnaryCall<unknown, unknown>): Date | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

export function executorServiceImplementation(parts: {
  router: TaskRouter;
  registry: PerformerRegistry;
  manager: PerformerManager;
}): UntypedServiceImplementation {
  const { router, registry, manager } = parts;
  return {
    SubmitTask(call: ServerUnaryCall<TaskSubmission, TaskResult>, callback: sendUnaryData<TaskResult>) {
      answer(callback, router.submitTask(call.request, callDeadline(call)));
    },
    DeployArtifact(
      call: ServerUnaryCall<DeployArtifactRequest, DeployArtifactResponse>,
      callback: sendUnaryData<DeployArtifactResponse>,
    ) {
      answer(callback, manager.deployArtifact(call.request));
    },
    ListPerformers(
      call: ServerUnaryCall<ListPerformersRequest, ListPerformersResponse>,
      callback: sendUnaryData<ListPerformersResponse>,
    ) {
      callback(null, { performers: registry.list(call.request.avs_address).map(performerInfo) });
    },
    RemovePerformer(
      call: ServerUnaryCall<RemovePerformerRequest, RemovePerformerResponse>,
      callback: sendUnaryData<RemovePerformerResponse>,
    ) {
      answer(callback, manager.removePerformer(call.request));
    },
  };
}
