// Loads the Hourglass protos once, with one set of decoding options for every server and client in the project,
// so that messages.ts describes what handlers really receive.
import { fileURLToPath } from "node:url";
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from "@grpc/grpc-js";
import { loadSync, type Options, type PackageDefinition, type ServiceDefinition } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

export const PERFORMER_PROTO = fileURLToPath(new URL("../../proto/performer.proto", import.meta.url));
export const EXECUTOR_PROTO = fileURLToPath(new URL("../../proto/executor.proto", import.meta.url));

export const PERFORMER_SERVICE_NAME = "eigenlayer.hourglass.v1.performer.PerformerService";
export const EXECUTOR_SERVICE_NAME = "eigenlayer.hourglass.v1.ExecutorService";

const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

/**
 * The protos of one server: its own service plus grpc.health.v1, so that server reflection describes every
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

export const performerProtos = loadServerProtos(PERFORMER_PROTO);
export const executorProtos = loadServerProtos(EXECUTOR_PROTO);

export const performerService = serviceOf(performerProtos, PERFORMER_SERVICE_NAME);
export const executorService = serviceOf(executorProtos, EXECUTOR_SERVICE_NAME);

/** Client constructors; `new PerformerClient(address, credentials)`. */
export const PerformerClient = clientOf(performerProtos, PERFORMER_SERVICE_NAME);
export const ExecutorClient = clientOf(executorProtos, EXECUTOR_SERVICE_NAME);
