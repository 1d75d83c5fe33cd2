// gRPC status errors: a handler rejects with one of these so the caller gets a code it can act on and a message
// that says what to do, never a bare UNKNOWN.
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";

/** A gRPC status error with `details` as the caller sees it, so that a handler never answers a bare UNKNOWN. */
export function statusError(code: status, details: string): ServiceError {
  const error = new Error(`${status[code]}: ${details}`) as ServiceError;
  error.code = code;
  error.details = details;
  error.metadata = new Metadata();
  return error;
}

/** Whether a rejection is already a gRPC status error, to be answered as it is. */
export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof Error && typeof (value as Partial<ServiceError>).code === "number";
}
