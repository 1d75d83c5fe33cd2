// The sample AVS's work: the result of a task is the SHA-256 digest of its payload (32 bytes). Deterministic, so
// that an aggregator (or a test) can check every answer on its own. The task id (any bytes) is echoed unchanged.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerUnaryCall, sendUnaryData, UntypedServiceImplementation } from "@grpc/grpc-js";
import type {
  StartSyncRequest,
  StartSyncResponse,
  TaskRequest,
  TaskResponse,
} from "../../src/grpc/messages.ts";

export function taskResult(payload: Uint8Array): Buffer {
  return createHash("sha256").update(payload).digest();
}

export interface SamplePerformer {
  /** PerformerService: StartSync and ExecuteTask (health is grpc.health.v1, served beside it). */
  implementation: UntypedServiceImplementation;
  /** Tasks being worked on now. */
  inFlight(): number;
}

/** `delayMs` holds every task that long before answering, to stand in for real work (tests use it). */
export function samplePerformer(options: { delayMs: number }): SamplePerformer {
  let inFlight = 0;
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
      // The sample needs no synchronisation: whatever the payload, it is ready for tasks.
      StartSync(
        _call: ServerUnaryCall<StartSyncRequest, StartSyncResponse>,
        callback: sendUnaryData<StartSyncResponse>,
      ) {
        callback(null, {});
      },
    },
    inFlight: () => inFlight,
  };
}
