// A gRPC server with what every Hourglass server here offers besides its own services: grpc.health.v1.Health
// (overall and per service) and server reflection, so that `grpcurl list` and health probes work.
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { PackageDefinition, ServiceDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import { reflectableProtos } from "./reflection-descriptors.ts";

/** One service a server answers: its name, its methods and their handlers. */
export interface GrpcService {
  /** Full name, as Health and reflection know it. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

/** Where a gRPC server listens, what it serves and reflects, and whether Health starts SERVING. */
export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Everything the server's protos define, for reflection. */
  protos: PackageDefinition;
  services: readonly GrpcService[];
  /** Whether Health says SERVING from the start (the default), or only once setServing(true) is called. */
  servingOnStart?: boolean;
}

/** A started gRPC server: its port, its Health switch and its graceful stop. */
export interface RunningGrpcServer {
  /** The bound port (the chosen one when 0 was asked for). */
  port: number;
  /** Stops accepting calls and waits for those in progress; cancels what is still running after `graceMs`. */
  shutdown(graceMs: number): Promise<void>;
  /** What grpc.health.v1.Health answers, overall and for the service. */
  setServing(serving: boolean): void;
}

/** Starts a gRPC server with its services, grpc.health.v1 and server reflection, so that probes and grpcurl
 * work. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server();
  for (const service of options.services) server.addService(service.definition, service.implementation);
  const names = ["", ...options.services.map((s) => s.name)];
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, "NOT_SERVING"])));
  health.addToServer(server);
  // Reflection lists what this server answers, not everything its protos define (a separate management server).
  new ReflectionService(reflectableProtos(options.protos), {
    services: [...names.slice(1), "grpc.health.v1.Health"],
  }).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(new Error(`gRPC ${options.host}:${options.port}: ${error.message}`)) : resolve(bound),
    );
  });

  const setServing = (serving: boolean) => {
    const status: ServingStatus = serving ? "SERVING" : "NOT_SERVING";
    for (const name of names) health.setStatus(name, status);
  };
  setServing(options.servingOnStart ?? true);

  return {
    port,
    setServing,
    shutdown(graceMs) {
      setServing(false);
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
