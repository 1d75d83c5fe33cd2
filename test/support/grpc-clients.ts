// Clients that tests use as an aggregator (or grpcurl) would: ExecutorService with promises, server reflection's
// service list, and grpc.health.v1.
import { type Client, type ClientDuplexStream, credentials, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type {
  DeployArtifactRequest,
  DeployArtifactResponse,
  ListPerformersResponse,
  RemovePerformerResponse,
  TaskResult,
  TaskSubmission,
} from "../../src/grpc/messages.ts";
import { clientOf, ExecutorClient } from "../../src/grpc/protos.ts";

type Callback<Res> = (error: ServiceError | null, response?: Res) => void;

function unary<Res>(client: Client, method: string, request: unknown, deadline?: Date): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: unknown, o: object, cb: Callback<Res>) => void>)[
    method
  ]!;
  return new Promise((resolve, reject) =>
    fn.call(client, request, deadline ? { deadline } : {}, (error, response) =>
      error ? reject(error) : resolve(response as Res),
    ),
  );
}

export interface TestExecutorClient {
  submitTask(task: TaskSubmission, deadline?: Date): Promise<TaskResult>;
  deployArtifact(request: DeployArtifactRequest): Promise<DeployArtifactResponse>;
  listPerformers(avsAddress?: string): Promise<ListPerformersResponse>;
  removePerformer(performerId: string): Promise<RemovePerformerResponse>;
  close(): void;
}

export function executorClient(address: string): TestExecutorClient {
  const client = new ExecutorClient(address, credentials.createInsecure());
  return {
    submitTask: (task, deadline) => unary(client, "SubmitTask", task, deadline),
    deployArtifact: (request) => unary(client, "DeployArtifact", request),
    listPerformers: (avsAddress = "") => unary(client, "ListPerformers", { avs_address: avsAddress }),
    removePerformer: (performerId) => unary(client, "RemovePerformer", { performer_id: performerId }),
    close: () => client.close(),
  };
}

const REFLECTION_PROTO = new URL(
  "../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto",
  import.meta.url,
).pathname;

interface ReflectionResponse {
  list_services_response?: { service: Array<{ name: string }> };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_message: string };
}

/** One request on a grpc.reflection.v1 stream, and its answer. */
function reflect(address: string, request: object): Promise<ReflectionResponse> {
  const Reflection = clientOf(
    loadSync(REFLECTION_PROTO, { keepCase: true }),
    "grpc.reflection.v1.ServerReflection",
  );
  const client = new Reflection(address, credentials.createInsecure());
  const stream = (
    client as unknown as { ServerReflectionInfo(): ClientDuplexStream<object, ReflectionResponse> }
  ).ServerReflectionInfo();
  return new Promise<ReflectionResponse>((resolve, reject) => {
    stream.on("data", (response: ReflectionResponse) => {
      stream.end();
      if (response.error_response) reject(new Error(response.error_response.error_message));
      else resolve(response);
    });
    stream.on("error", reject);
    stream.write(request);
  }).finally(() => client.close());
}

/** The services a server lists through reflection (what `grpcurl -plaintext ADDRESS list` prints). */
export async function listServicesByReflection(address: string): Promise<string[]> {
  const response = await reflect(address, { list_services: "*" });
  if (!response.list_services_response) throw new Error("no list_services_response");
  return response.list_services_response.service.map((s) => s.name).sort();
}

/** The serialized FileDescriptorProtos reflection gives for a symbol (what grpcurl asks before a call). */
export async function filesContainingSymbol(address: string, symbol: string): Promise<Buffer[]> {
  const response = await reflect(address, { file_containing_symbol: symbol });
  if (!response.file_descriptor_response) throw new Error("no file_descriptor_response");
  return response.file_descriptor_response.file_descriptor_proto;
}

/** grpc.health.v1.Health/Check: `SERVING`, `NOT_SERVING`, … */
export function grpcHealthStatus(address: string, service = ""): Promise<string> {
  const Health = clientOf(
    loadSync(healthProtoPath, { keepCase: true, enums: String }),
    "grpc.health.v1.Health",
  );
  const client = new Health(address, credentials.createInsecure());
  return unary<{ status: string }>(client, "Check", { service }, new Date(Date.now() + 5_000))
    .then((r) => r.status)
    .finally(() => client.close());
}
