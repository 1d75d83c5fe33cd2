// The sample AVS's work: the result of a task is the SHA-256 digest of its payload (32 bytes). Deterministic, so
// that an aggregator (or a test) can check every answer on its own.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from "@grpc/grpc-js";
import type {
  HealthCheckRequest,
  HealthCheckResponse,
  PerformerStatus,
  StartSyncRequest,
  StartSyncResponse,
  TaskRequest,
  TaskResponse,
} from "../../src/grpc/messages.ts";

export function taskResult(payload: Uint8Array): Buffer {
  return createHash("sha256").update(payload).digest();
}

export interface SamplePerformer {
  implementation: UntypedServiceImplementation;
  /** Tasks being worked on now. */
  inFlight(): number;
  status(): PerformerStatus;
  /** From now on HealthCheck answers STOPPING. */
  stop(): void;
}

/** `delayMs` holds every task that long before answering, to stand in for real work (tests use it). */
export function samplePerformer(options: { delayMs: number }): SamplePerformer {
  let inFlight = 0;
  let stopping = false;
  const status = (): PerformerStatus => (stopping ? "STOPPING" : inFlight > 0 ? "BUSY" : "READY_FOR_TASK");

  return {
    implementation: {
      ExecuteTask(call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) {
        const { task_id, payload } = call.request;
        // No timer when there is no delay: even setTimeout(0) waits a millisecond or more.
        if (options.delayMs === 0) {
          callback(null, { task_id, result: taskResult(payload) });
          return;
        }
        inFlight++;
        sleep(options.delayMs).then(() => {
          inFlight--;
          callback(null, { task_id, result: taskResult(payload) });
        });
      },
      HealthCheck(
        _call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) {
        callback(null, { status: status() });
      },
      StartSync(
        _call: ServerUnaryCall<StartSyncRequest, StartSyncResponse>,
        callback: sendUnaryData<StartSyncResponse>,
      ) {
        callback(null, {});
      },
    },
    inFlight: () => inFlight,
    status,
    stop() {
      stopping = true;
    },
  };
}
