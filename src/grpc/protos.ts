// Loads the Hourglass protos once, with one set of decoding options for every server and client in the project,
// so that messages.ts describes what handlers really receive.
import { fileURLToPath } from "node:url";
import {
  type GrpcObject,
  loadPackageDefinition,
  makeClientConstructor,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import {
  loadSync,
  type MethodDefinition,
  type Options,
  type PackageDefinition,
  type ServiceDefinition,
} from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import type { TaskResult, TaskSubmission } from "./messages.ts";
import { readRawField, withRawField } from "./raw-string-field.ts";

/** The root that the protos' imports are relative to, as in Hourglass's own tree. */
export const PROTO_ROOT = fileURLToPath(new URL("../../proto/", import.meta.url));
/** performer.proto's path under PROTO_ROOT: the service an AVS's performer serves. */
export const PERFORMER_PROTO = "eigenlayer/hourglass/v1/performer/performer.proto";
/** executor.proto's path under PROTO_ROOT: the services the executor serves. */
export const EXECUTOR_PROTO = "eigenlayer/hourglass/v1/executor/executor.proto";

/** The performer's service, by its full name (for health and reflection). */
export const PERFORMER_SERVICE_NAME = "eigenlayer.hourglass.v1.performer.PerformerService";
/** The executor's task service, which the aggregator calls, by its full name. */
export const EXECUTOR_SERVICE_NAME = "eigenlayer.hourglass.v1.ExecutorService";
/** The executor's management service, which the operator calls, by its full name. */
export const EXECUTOR_MANAGEMENT_SERVICE_NAME = "eigenlayer.hourglass.v1.ExecutorManagementService";

const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

/**
 * The protos of one server: its own protos plus grpc.health.v1, so that server reflection describes every
 * service the server answers.
 */
export function loadServerProtos(protoFile: string): PackageDefinition {
  return loadSync([protoFile, healthProtoPath], LOADER_OPTIONS);
}

function serviceOf(definition: PackageDefinition, serviceName: string): ServiceDefinition {
  const service = definition[serviceName];
  // Message and enum definitions carry `format`; a service is a map of methods.
  if (!service || "format" in service) {
    throw new Error(`${serviceName} is not a service of the loaded protos`);
  }
  return service as ServiceDefinition;
}

/** The client class of a service in loaded protos, by its full name. */
export function clientOf(definition: PackageDefinition, serviceName: string): ServiceClientConstructor {
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(definition);
  for (const part of serviceName.split(".")) node = (node as GrpcObject)[part] as GrpcObject;
  return node as unknown as ServiceClientConstructor;
}

const TASK_ID_FIELD = 1;

/**
 * SubmitTask with task_id (field 1 of both messages) carried as its bytes in both directions, for the server and
 * for clients alike: decoding adds `taskIdBytes`, encoding writes `taskIdBytes` when it is set.
 */
function withRawTaskId(method: MethodDefinition<object, object>): MethodDefinition<object, object> {
  type WithRawId = Partial<Pick<TaskSubmission | TaskResult, "task_id" | "taskIdBytes">>;
  const encode = (serialize: (value: object) => Buffer) => (value: object) => {
    const { taskIdBytes, task_id, ...rest } = value as WithRawId;
    if (!taskIdBytes) return serialize(value);
    // Without task_id the encoder writes no field 1 (protobufjs writes one for any value present, even "").
    return withRawField(serialize(rest), TASK_ID_FIELD, taskIdBytes);
  };
  const decode = (deserialize: (bytes: Buffer) => object) => (bytes: Buffer) => {
    const decoded = deserialize(bytes);
    return { ...decoded, taskIdBytes: readRawField(bytes, TASK_ID_FIELD) ?? Buffer.alloc(0) };
  };
  return {
    ...method,
    requestSerialize: encode(method.requestSerialize),
    requestDeserialize: decode(method.requestDeserialize),
    responseSerialize: encode(method.responseSerialize),
    responseDeserialize: decode(method.responseDeserialize),
  };
}

/** The performer's protos plus grpc.health.v1, loaded with the project's decoding options. */
export const performerProtos = loadServerProtos(PERFORMER_PROTO);
/** The executor's protos plus grpc.health.v1, loaded with the project's decoding options. */
export const executorProtos = loadServerProtos(EXECUTOR_PROTO);

/** PerformerService's method definitions, for a performer's server. */
export const performerService = serviceOf(performerProtos, PERFORMER_SERVICE_NAME);
const plainExecutorService = serviceOf(executorProtos, EXECUTOR_SERVICE_NAME);
/** ExecutorService's method definitions, with SubmitTask's task_id kept as its raw bytes. */
export const executorService: ServiceDefinition = {
  ...plainExecutorService,
  SubmitTask: withRawTaskId(plainExecutorService.SubmitTask as MethodDefinition<object, object>),
};
/** ExecutorManagementService's method definitions. */
export const executorManagementService = serviceOf(executorProtos, EXECUTOR_MANAGEMENT_SERVICE_NAME);

/** Client constructors; `new PerformerClient(address, credentials)`. ExecutorClient carries task ids as bytes, as
 * the executor does; a client generated from the proto alone (clientOf) sees them as strings. */
export const PerformerClient = clientOf(performerProtos, PERFORMER_SERVICE_NAME);
/** ExecutorService's client, the aggregator's side of SubmitTask (task ids as bytes). */
export const ExecutorClient = makeClientConstructor(executorService, EXECUTOR_SERVICE_NAME);
/** ExecutorManagementService's client, the operator's side of DeployArtifact and the rest. */
export const ExecutorManagementClient = clientOf(executorProtos, EXECUTOR_MANAGEMENT_SERVICE_NAME);
