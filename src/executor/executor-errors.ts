// Every gRPC error the executor answers with, in one table: each kind keeps a stable code (for logs, alerts and
// clients, sent in the `hg-error-code` trailer) and the gRPC status it is answered with. The message says what
// happened and what to do; the code says which of these it is, whatever the wording.
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { isServiceError } from "../grpc/status.ts";

/** One kind of executor error: its stable code and the gRPC status it is answered with. */
export interface ExecutorErrorKind {
  code: string;
  status: status;
}

/** The trailer that carries the kind's code. */
export const ERROR_CODE_TRAILER = "hg-error-code";

/** Every error the executor answers with, by kind; a code never changes once clients may match on it. */
export const EXECUTOR_ERRORS = {
  // SubmitTask: the request
  taskIdEmpty: { code: "HG_ERR_TASK_ID_EMPTY", status: status.INVALID_ARGUMENT },
  avsAddressEmpty: { code: "HG_ERR_AVS_ADDRESS_EMPTY", status: status.INVALID_ARGUMENT },
  unknownAvs: { code: "HG_ERR_UNKNOWN_AVS", status: status.NOT_FOUND },
  taskAlreadyRunning: { code: "HG_ERR_TASK_ALREADY_RUNNING", status: status.ALREADY_EXISTS },
  // SubmitTask: the way to the performer
  noPerformerReady: { code: "HG_ERR_NO_PERFORMER_READY", status: status.UNAVAILABLE },
  queueFull: { code: "HG_ERR_QUEUE_FULL", status: status.RESOURCE_EXHAUSTED },
  queueDeadline: { code: "HG_ERR_QUEUE_DEADLINE", status: status.DEADLINE_EXCEEDED },
  taskCancelled: { code: "HG_ERR_TASK_CANCELLED", status: status.CANCELLED },
  // SubmitTask: the performer's answer
  performerDeadline: { code: "HG_ERR_PERFORMER_DEADLINE", status: status.DEADLINE_EXCEEDED },
  performerUnreachable: { code: "HG_ERR_PERFORMER_UNREACHABLE", status: status.UNAVAILABLE },
  performerDropped: { code: "HG_ERR_PERFORMER_DROPPED", status: status.UNAVAILABLE },
  /** Answered with the performer's own status code; UNKNOWN is only the default. */
  performerFailed: { code: "HG_ERR_PERFORMER_FAILED", status: status.UNKNOWN },
  performerWrongTaskId: { code: "HG_ERR_PERFORMER_WRONG_TASK_ID", status: status.INTERNAL },
  signingFailed: { code: "HG_ERR_SIGNING_FAILED", status: status.INTERNAL },
  // ExecutorManagementService: authentication (codes and order as Hourglass's executor)
  authNotEnabled: { code: "HG_ERR_AUTH_NOT_ENABLED", status: status.UNIMPLEMENTED },
  authMissing: { code: "HG_ERR_AUTH_MISSING", status: status.UNAUTHENTICATED },
  authTokenInvalid: { code: "HG_ERR_AUTH_TOKEN_INVALID", status: status.UNAUTHENTICATED },
  authSignatureInvalid: { code: "HG_ERR_AUTH_SIGNATURE_INVALID", status: status.UNAUTHENTICATED },
  operatorAddressEmpty: { code: "HG_ERR_OPERATOR_ADDRESS_EMPTY", status: status.INVALID_ARGUMENT },
  operatorMismatch: { code: "HG_ERR_OPERATOR_MISMATCH", status: status.PERMISSION_DENIED },
  // ExecutorManagementService: performers
  deployInvalid: { code: "HG_ERR_DEPLOY_INVALID", status: status.INVALID_ARGUMENT },
  deployUnsupported: { code: "HG_ERR_DEPLOY_UNSUPPORTED", status: status.FAILED_PRECONDITION },
  deployInProgress: { code: "HG_ERR_DEPLOY_IN_PROGRESS", status: status.ABORTED },
  performerLimit: { code: "HG_ERR_PERFORMER_LIMIT", status: status.RESOURCE_EXHAUSTED },
  performerIdEmpty: { code: "HG_ERR_PERFORMER_ID_EMPTY", status: status.INVALID_ARGUMENT },
  performerNotFound: { code: "HG_ERR_PERFORMER_NOT_FOUND", status: status.NOT_FOUND },
  // Anything else: a bug, or a failure with no kind of its own yet
  internal: { code: "HG_ERR_INTERNAL", status: status.INTERNAL },
} as const satisfies Record<string, ExecutorErrorKind>;

/** A gRPC status error that carries its kind, so that its code goes out in the hg-error-code trailer. */
export interface ExecutorError extends ServiceError {
  kind: ExecutorErrorKind;
}

/** The error a handler rejects with; `code` overrides the kind's status (a performer's failure keeps its own). */
export function executorError(kind: ExecutorErrorKind, details: string, code = kind.status): ExecutorError {
  const error = new Error(`${status[code]}: ${details}`) as ExecutorError;
  error.kind = kind;
  error.code = code;
  error.details = details;
  error.metadata = new Metadata();
  error.metadata.set(ERROR_CODE_TRAILER, kind.code);
  return error;
}

/** Whether a rejection is one of the table's errors (and so carries a code). */
export function isExecutorError(value: unknown): value is ExecutorError {
  return isServiceError(value) && "kind" in value;
}

/** Any rejection as an answer: a gRPC status error as it is, anything else as `internal` with its message. */
export function asServiceError(error: unknown, context: string): ServiceError {
  if (isServiceError(error)) return error;
  return executorError(EXECUTOR_ERRORS.internal, `${context}: ${(error as Error)?.message ?? String(error)}`);
}
