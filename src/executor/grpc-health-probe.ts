// grpc.health.v1.Health/Check against a performer: how docker mode knows a new container is ready for traffic.
import { credentials } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { clientOf } from "../grpc/protos.ts";

const Health = clientOf(
  loadSync(healthProtoPath, { keepCase: true, enums: String }),
  "grpc.health.v1.Health",
);

type HealthCheck = (
  request: { service: string },
  options: { deadline: Date },
  callback: (error: Error | null, response?: { status: string }) => void,
) => void;

/** The overall serving status ("SERVING", "NOT_SERVING", …); rejects when the endpoint does not answer by `deadline`. */
export function grpcHealthStatus(endpoint: string, deadline: Date): Promise<string> {
  const client = new Health(endpoint, credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    const check = (client as unknown as Record<string, HealthCheck>).Check!.bind(client);
    check({ service: "" }, { deadline }, (error: Error | null, response?: { status: string }) =>
      error ? reject(error) : resolve(response!.status),
    );
  }).finally(() => client.close());
}
