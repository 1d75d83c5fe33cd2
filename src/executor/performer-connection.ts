// One gRPC channel to one performer, with promise-returning calls, explicit deadlines and cancellation. Health is
// the standard grpc.health.v1.Health/Check on the performer's port, as Hourglass's executor asks it.
import { type Client, type ClientUnaryCall, credentials, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type { TaskRequest, TaskResponse } from "../grpc/messages.ts";
import { clientOf, PerformerClient } from "../grpc/protos.ts";

/** grpc.health.v1's ServingStatus by name: SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN. */
export type ServingStatus = string;

/** A channel to one performer: its tasks and its health, each with a deadline. */
export interface PerformerConnection {
  endpoint: string;
  /** An abort cancels the call: the performer sees CANCELLED, the promise rejects with CANCELLED. */
  executeTask(request: TaskRequest, deadline: Date, signal?: AbortSignal): Promise<TaskResponse>;
  /** The performer's overall health (service ""), as Hourglass's executor checks it. */
  healthCheck(deadline: Date): Promise<{ status: ServingStatus }>;
  close(): void;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response?: Res) => void,
) => ClientUnaryCall;

function unary<Req, Res>(
  client: Client,
  method: string,
  request: Req,
  deadline: Date,
  signal?: AbortSignal,
): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    const call = fn(request, { deadline }, (error, response) => {
      signal?.removeEventListener("abort", cancel);
      if (error) reject(error);
      else resolve(response as Res);
    });
    const cancel = () => call.cancel();
    if (signal?.aborted) cancel();
    else signal?.addEventListener("abort", cancel, { once: true });
  });
}

const HealthClient = clientOf(
  loadSync(healthProtoPath, { keepCase: true, enums: String, defaults: true }),
  "grpc.health.v1.Health",
);

/** `endpoint` is `host:port`, as service_pattern or an AVS's docker-mode `endpoint` gives it. */
export function connectPerformer(endpoint: string): PerformerConnection {
  const client = new PerformerClient(endpoint, credentials.createInsecure());
  // A second client on the same target shares the first one's connection (grpc-js pools subchannels).
  const health = new HealthClient(endpoint, credentials.createInsecure());
  return {
    endpoint,
    executeTask: (request, deadline, signal) => unary(client, "ExecuteTask", request, deadline, signal),
    healthCheck: (deadline) => unary(health, "Check", { service: "" }, deadline),
    close: () => {
      client.close();
      health.close();
    },
  };
}
