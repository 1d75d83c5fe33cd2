// Clients that tests use as an aggregator, an operator (or grpcurl) would: ExecutorService and
// ExecutorManagementService with promises, server reflection's service list, and grpc.health.v1.
import { type Client, type ClientDuplexStream, credentials, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type {
  AuthSignature,
  DeployArtifactRequest,
  DeployArtifactResponse,
  GetChallengeTokenResponse,
  ListPerformersResponse,
  RemovePerformerResponse,
  TaskResult,
  TaskSubmissionInput,
} from "../../src/grpc/messages.ts";
import { clientOf, ExecutorClient, ExecutorManagementClient } from "../../src/grpc/protos.ts";

type Callback<Res> = (error: ServiceError | null, response?: Res) => void;

type UnaryFn<Res> = (r: unknown, o: object, cb: Callback<Res>) => { cancel(): void };

/** One unary call; an abort of `signal` cancels it, as a client that gives up does. */
export function unary<Res>(
  client: Client,
  method: string,
  request: unknown,
  deadline?: Date,
  signal?: AbortSignal,
): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryFn<Res>>)[method]!;
  return new Promise((resolve, reject) => {
    const call = fn.call(client, request, deadline ? { deadline } : {}, (error, response) =>
      error ? reject(error) : resolve(response as Res),
    );
    signal?.addEventListener("abort", () => call.cancel(), { once: true });
  });
}

export interface TestExecutorClient {
  submitTask(task: TaskSubmissionInput, deadline?: Date, signal?: AbortSignal): Promise<TaskResult>;
  deployArtifact(
    request: Pick<DeployArtifactRequest, "avs_address" | "registry_url" | "digest"> &
      Partial<DeployArtifactRequest>,
  ): Promise<DeployArtifactResponse>;
  listPerformers(avsAddress?: string, auth?: AuthSignature): Promise<ListPerformersResponse>;
  removePerformer(performerId: string, auth?: AuthSignature): Promise<RemovePerformerResponse>;
  getChallengeToken(operatorAddress: string): Promise<GetChallengeTokenResponse>;
  close(): void;
}

/** ExecutorService at `address`, ExecutorManagementService at `managementAddress` (by default the same). */
export function executorClient(address: string, managementAddress = address): TestExecutorClient {
  const client = new ExecutorClient(address, credentials.createInsecure());
  const management = new ExecutorManagementClient(managementAddress, credentials.createInsecure());
  return {
    submitTask: (task, deadline, signal) => unary(client, "SubmitTask", task, deadline, signal),
    deployArtifact: (request) => unary(management, "DeployArtifact", request),
    listPerformers: (avsAddress = "", auth) =>
      unary(management, "ListPerformers", { avs_address: avsAddress, ...(auth ? { auth } : {}) }),
    removePerformer: (performerId, auth) =>
      unary(management, "RemovePerformer", { performer_id: performerId, ...(auth ? { auth } : {}) }),
    getChallengeToken: (operatorAddress) =>
      unary(management, "GetChallengeToken", { operator_address: operatorAddress }),
    close: () => {
      client.close();
      management.close();
    },
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
