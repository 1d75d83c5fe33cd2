// One gRPC channel to one performer, with promise-returning calls and explicit deadlines.
import { type Client, credentials, type ServiceError } from "@grpc/grpc-js";
import type { HealthCheckResponse, TaskRequest, TaskResponse } from "../grpc/messages.ts";
import { PerformerClient } from "../grpc/protos.ts";

export interface PerformerConnection {
  endpoint: string;
  executeTask(request: TaskRequest, deadline: Date): Promise<TaskResponse>;
  healthCheck(deadline: Date): Promise<HealthCheckResponse>;
  close(): void;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response?: Res) => void,
) => void;

function unary<Req, Res>(client: Client, method: string, request: Req, deadline: Date): Promise<Res> {
  const call = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    call(request, { deadline }, (error, response) => (error ? reject(error) : resolve(response as Res)));
  });
}

/** `endpoint` is `host:port`, as service_pattern or an AVS's docker-mode `endpoint` gives it. */
export function connectPerformer(endpoint: string): PerformerConnection {
  const client = new PerformerClient(endpoint, credentials.createInsecure());
  return {
    endpoint,
    executeTask: (request, deadline) => unary(client, "ExecuteTask", request, deadline),
    healthCheck: (deadline) => unary(client, "HealthCheck", {}, deadline),
    close: () => client.close(),
  };
}
