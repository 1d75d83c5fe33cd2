// The executor process's parts wired together: gRPC ExecutorService and ExecutorManagementService (on one server,
// or the latter on its own port), the performer manager of its deployment mode, health/readiness, metrics and
// (optionally) profiling endpoints, and an orderly stop.
import type { Logger } from "pino";
import {
  EXECUTOR_MANAGEMENT_SERVICE_NAME,
  EXECUTOR_SERVICE_NAME,
  executorManagementService,
  executorProtos,
  executorService,
} from "../grpc/protos.ts";
import { type GrpcService, type RunningGrpcServer, startGrpcServer } from "../grpc/server.ts";
import {
  type HttpRoutes,
  jsonReply,
  type RunningHttpServer,
  serveHttp,
} from "../observability/http-server.ts";
import { profilingRoutes } from "../observability/profiling.ts";
import {
  executorServiceImplementation,
  managementServiceImplementation,
  type PerformerManager,
} from "./executor-service.ts";
import { ChallengeTokens } from "./management-auth.ts";
import { createExecutorMetrics } from "./metrics.ts";
import type { OperatorSigner } from "./operator-signer.ts";
import { monitorPerformerHealth } from "./performer-health-monitor.ts";
import { avsKey, PerformerRegistry } from "./performer-registry.ts";
import { readinessReport } from "./readiness-report.ts";
import type { ResultSigner } from "./result-signer.ts";
import { secp256k1 } from "./secp256k1.ts";
import type { ExecutorSettings } from "./settings.ts";
import { TaskRouter } from "./task-router.ts";

const HEALTH_CHECK_INTERVAL_MS = 10_000;
const HEALTH_CHECK_TIMEOUT_MS = 2_000;
const RETRY_BACKOFF = { initialMs: 100, maxMs: 2_000 };
/** In-flight tasks cannot outlive their deadline; the drain waits that long, plus this, before cancelling. */
const DRAIN_MARGIN_MS = 1_000;

/** A started executor: the ports it serves on, when its performers are up, and how to stop it. */
export interface RunningExecutor {
  /** `management` equals `grpc` when one server serves both. */
  ports: { grpc: number; management: number; health: number; metrics: number; profiling?: number };
  /** Resolves once the performers of every supported AVS have been registered (kubernetes mode: are Ready). */
  started: Promise<void>;
  /** Stops accepting tasks, drains those in flight, cleans up performers (per config), closes every server. */
  stop(): Promise<void>;
}

/** What an executor is started from: settings, keys, signing, logger and the deployment mode's performer
 * manager. */
export interface ExecutorParts {
  settings: ExecutorSettings;
  /** The operator's key: whose signatures management calls must carry. */
  signer: OperatorSigner;
  /** How tasks are admitted and their results signed (the chain-backed signer, chain/chain-result-signer.ts). */
  resultSigner: ResultSigner;
  /** Another condition of /ready (the L1 chain answering), with what to show of it. */
  readiness?: () => { ready: boolean } & Record<string, unknown>;
  log: Logger;
  /** Builds the mode's performer manager over the executor's registry. */
  performerManager(registry: PerformerRegistry): PerformerManager;
}

/** Starts the executor's servers and performers; resolves once it serves, before the performers are up. */
export async function startExecutor(parts: ExecutorParts): Promise<RunningExecutor> {
  const { settings, signer, log } = parts;
  const metrics = createExecutorMetrics();
  const registry = new PerformerRegistry();
  const manager = parts.performerManager(registry);
  const router = new TaskRouter({
    registry,
    signer: parts.resultSigner,
    metrics,
    supportedAvs: settings.avs.map((a) => a.address),
    taskTimeoutMs: settings.performer.taskTimeoutMs,
    retryAttempts: settings.performer.retryAttempts,
    backoff: RETRY_BACKOFF,
    log,
  });

  let stopping = false;
  let managerStarted = false;
  const updateReadyGauge = () => {
    for (const avs of settings.avs) {
      metrics.performersReady.set({ avs: avsKey(avs.address) }, registry.routeFor(avs.address) ? 1 : 0);
    }
  };

  const servers: RunningHttpServer[] = [];
  const closeServers = () => Promise.all(servers.map((s) => s.close()));
  const listen = async (host: string, port: number, routes: HttpRoutes) => {
    const server = await serveHttp(host, port, routes);
    servers.push(server);
    return server;
  };
  let health: RunningHttpServer;
  let metricsServer: RunningHttpServer;
  let profiling: RunningHttpServer | undefined;
  const grpcServers: RunningGrpcServer[] = [];
  const startGrpc = async (port: number, services: GrpcService[]) => {
    const server = await startGrpcServer({
      host: settings.host,
      port,
      protos: executorProtos,
      services,
      // Not serving until the performers are started, nor while stopping; unlike /ready it does not follow each
      // AVS's route after that (a route lost meanwhile answers UNAVAILABLE, which says why).
      servingOnStart: false,
    });
    grpcServers.push(server);
    return server;
  };
  const taskService: GrpcService = {
    name: EXECUTOR_SERVICE_NAME,
    definition: executorService,
    implementation: executorServiceImplementation({ router }),
  };
  const managementService: GrpcService = {
    name: EXECUTOR_MANAGEMENT_SERVICE_NAME,
    definition: executorManagementService,
    implementation: managementServiceImplementation({
      registry,
      manager,
      auth: {
        enabled: settings.authentication.enabled,
        operatorAddress: signer.address,
        tokens: new ChallengeTokens(),
      },
    }),
  };
  const { management: managementPort } = settings.ports;
  const ownManagementServer = managementPort !== undefined && managementPort !== settings.ports.grpc;
  let grpc: RunningGrpcServer;
  let management: RunningGrpcServer;
  try {
    health = await listen(settings.host, settings.ports.health, {
      // Liveness: the process answers. It stays 200 while draining so that the kubelet does not kill a drain.
      "/health": async () => jsonReply(200, { status: "ok" }),
      "/ready": async () => {
        const report = readinessReport({
          stopping,
          started: managerStarted,
          avs: settings.avs,
          registry,
          chain: parts.readiness?.(),
        });
        return jsonReply(report.ready ? 200 : 503, report);
      },
    });
    metricsServer = await listen(settings.host, settings.ports.metrics, {
      "/metrics": async () => {
        updateReadyGauge();
        return {
          status: 200,
          contentType: metrics.registry.contentType,
          body: await metrics.registry.metrics(),
        };
      },
    });
    // Profiles expose the process's memory: loopback only, reached with `kubectl port-forward`.
    profiling = settings.profiling
      ? await listen("127.0.0.1", settings.ports.profiling, await profilingRoutes())
      : undefined;
    if (ownManagementServer) {
      grpc = await startGrpc(settings.ports.grpc, [taskService]);
      management = await startGrpc(managementPort, [managementService]);
    } else {
      grpc = await startGrpc(settings.ports.grpc, [taskService, managementService]);
      management = grpc;
    }
  } catch (error) {
    // A port in use must not leave the other servers holding the process open.
    await Promise.all(grpcServers.map((s) => s.shutdown(0)));
    await closeServers();
    throw error;
  }
  const setGrpcServing = (serving: boolean) => {
    for (const server of grpcServers) server.setServing(serving);
  };

  const ports = {
    grpc: grpc.port,
    management: management.port,
    health: health.port,
    metrics: metricsServer.port,
    ...(profiling ? { profiling: profiling.port } : {}),
  };
  if (secp256k1.fallbackReason) {
    log.warn(
      { reason: secp256k1.fallbackReason },
      "secp256k1's native binding did not load; signing and recovering with its WebAssembly build, several times slower per task",
    );
  }
  log.info({ ports, deploymentMode: settings.deploymentMode, operator: signer.address }, "executor serving");

  let stopMonitor = async () => {};
  const started = manager.start().then(() => {
    if (stopping) return;
    managerStarted = true;
    setGrpcServing(true);
    stopMonitor = monitorPerformerHealth(registry, {
      intervalMs: HEALTH_CHECK_INTERVAL_MS,
      timeoutMs: HEALTH_CHECK_TIMEOUT_MS,
      reportsStatus: settings.deploymentMode === "docker",
    });
    log.info({ performers: registry.list().map((r) => r.performerId) }, "performers ready");
  });
  // A failed start is reported through `started`; keep it from also surfacing as an unhandled rejection.
  started.catch(() => {});

  return {
    ports,
    started,
    async stop() {
      if (stopping) return;
      stopping = true;
      const drainMs = settings.performer.taskTimeoutMs + DRAIN_MARGIN_MS;
      log.info({ drainMs }, "stopping: refusing new tasks, draining those in flight");
      manager.abortDeployments();
      await Promise.all(grpcServers.map((s) => s.shutdown(drainMs)));
      await stopMonitor();
      await manager.shutdown();
      await closeServers();
      log.info("executor stopped");
    },
  };
}
