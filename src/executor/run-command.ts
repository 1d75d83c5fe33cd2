// `hourglass-executor run --config FILE`: validate the config as `validate` does, then serve until SIGTERM or
// SIGINT, which drain in-flight tasks and (kubernetes mode, cleanup_on_shutdown) delete the executor's Performers.
// Every task is checked against the L1 chain and its result signed as Hourglass signs it (chain/); as upstream,
// there is no way to run without that.
import { loadExecutorConfigFile } from "../api/executor-config-file.ts";
import { errorsOf, formatProblem, warningsOf } from "../api/problem.ts";
import { integerFlag, parseFlags, portFlag, UsageError } from "../cli/args.ts";
import { createLogger, logLevelFromEnv } from "../observability/logger.ts";
import { type ChainBacking, startChainBacking } from "./chain/chain-backing.ts";
import { chainResultSigner } from "./chain/chain-result-signer.ts";
import { chainBackingInputOf } from "./chain-backing-settings.ts";
import { executorSettings, type RunFlags } from "./config-settings.ts";
import { dockerEngine } from "./docker-engine.ts";
import { dockerPerformerManager } from "./docker-performers.ts";
import { type RunningExecutor, startExecutor } from "./executor.ts";
import { kubernetesPerformerStore, loadKubeConfig } from "./kubernetes-performer-store.ts";
import { kubernetesPerformerManager } from "./kubernetes-performers.ts";
import { loadOperatorSigner } from "./operator-key.ts";

/** `hourglass-executor run`'s help text, printed with a usage error. */
export const RUN_USAGE = `Usage: hourglass-executor run --config FILE [--host ADDR] [--grpc-port N] [--management-port N]
       [--health-port N] [--metrics-port N] [--profiling-port N] [--max-in-flight N] [--max-queued N]
       [--signing-threads N]
Ports default to the config's grpc_port (9000; 9090 in a camelCase config), health_port (8090), metrics_port (8080)
and 6060; 0 picks a free port. ExecutorManagementService is served on the gRPC port unless the config's
management_server_grpc_port or --management-port names another.
--max-in-flight bounds the tasks one performer is given at once (default 64); up to --max-queued more (default 256)
wait for a slot until their deadline; beyond that tasks get RESOURCE_EXHAUSTED.
--signing-threads moves each task's checks and signatures (keccak-256 of payload and output, ECDSA) off the event
loop onto N threads (default 0, up to 16): give it the cores the executor may use beyond one; each task then waits
a little longer for the hand-off (~0.4 ms one at a time on two cores). BN254 work always runs on a thread of its own.
Environment: LOG_LEVEL, NETWORK_TIMEOUT (executor → performer deadline), ENABLE_PROFILING=true|1 (pprof profiles on 127.0.0.1:6060).`;

/** The command line of `run`; a mistake throws UsageError (printed with RUN_USAGE, exit 2). */
function parseRunArgs(args: string[]): { configPath: string; flags: RunFlags } {
  const values = parseFlags(args, {
    config: { type: "string", short: "c" },
    host: { type: "string" },
    "grpc-port": { type: "string" },
    "management-port": { type: "string" },
    "health-port": { type: "string" },
    "metrics-port": { type: "string" },
    "profiling-port": { type: "string" },
    "max-in-flight": { type: "string" },
    "max-queued": { type: "string" },
    "signing-threads": { type: "string" },
  });
  if (!values.config) throw new UsageError("--config FILE is required");
  const port = (flag: keyof typeof values & `${string}-port`) => {
    const text = values[flag];
    return text === undefined ? undefined : portFlag(flag, text);
  };
  const count = (flag: "max-in-flight" | "max-queued", min: number) => {
    const text = values[flag];
    return text === undefined ? undefined : integerFlag(flag, text, { min }, "a number of tasks");
  };
  const threads = (text: string | undefined) =>
    text === undefined
      ? undefined
      : integerFlag("signing-threads", text, { min: 0, max: 16 }, "a number of threads");
  const flags: RunFlags = {
    host: values.host,
    grpcPort: port("grpc-port"),
    managementPort: port("management-port"),
    healthPort: port("health-port"),
    metricsPort: port("metrics-port"),
    profilingPort: port("profiling-port"),
    maxInFlight: count("max-in-flight", 1),
    maxQueued: count("max-queued", 0),
    signingThreads: threads(values["signing-threads"]),
  };
  return { configPath: values.config, flags };
}

/** Runs the executor until a signal stops it; resolves with the process's exit code. */
export async function runExecutorCommand(args: string[]): Promise<number> {
  const { configPath, flags } = parseRunArgs(args);

  // The same checks, and messages, as `hourglass-executor validate`.
  const { config, problems } = loadExecutorConfigFile(configPath);
  const errors = errorsOf(problems);
  if (errors.length > 0 || !config) {
    for (const p of errors) process.stderr.write(`${configPath}: ${formatProblem(p)}\n`);
    return 1;
  }
  // LOG_LEVEL wins over the config's log_level, so that an operator can turn up logging without editing it.
  const log = createLogger("hourglass-executor", {
    level: process.env.LOG_LEVEL ? logLevelFromEnv() : config.logLevel,
    format: config.logFormat,
  });
  for (const p of warningsOf(problems)) log.warn({ path: p.path, line: p.line }, formatProblem(p));

  let executor: RunningExecutor;
  let backing: ChainBacking | undefined;
  try {
    const settings = executorSettings(config, process.env, flags);
    const signer = await loadOperatorSigner(settings.operator);
    backing = await startChainBacking(await chainBackingInputOf(settings), log);
    const kubeConfig =
      settings.kubernetes && settings.deploymentMode === "kubernetes"
        ? loadKubeConfig(settings.kubernetes)
        : undefined;
    executor = await startExecutor({
      settings,
      signer,
      resultSigner: chainResultSigner(backing.authority),
      readiness: backing.readiness,
      log,
      performerManager: (registry) =>
        kubeConfig
          ? kubernetesPerformerManager({
              registry,
              settings,
              store: kubernetesPerformerStore({ kubeConfig, settings: settings.kubernetes!, log }),
              log,
            })
          : dockerPerformerManager({ registry, settings, engine: () => dockerEngine(), log }),
    });
  } catch (error) {
    log.fatal((error as Error).message);
    await backing?.stop();
    return 1;
  }

  // The first reason to stop decides the exit code; a startup failure caused by the stop itself is not one.
  let stopping: Promise<number> | undefined;
  const stop = (reason: string, code: number): Promise<number> => {
    if (!stopping) {
      log.info({ reason }, "shutting down");
      // The task store closes after the drain, so that every task answered meanwhile is remembered.
      stopping = executor
        .stop()
        .then(() => backing?.stop())
        .then(
          () => code,
          (error: Error) => {
            log.error({ err: error }, "shutdown failed");
            return 1;
          },
        );
    }
    return stopping;
  };
  return new Promise<number>((resolve) => {
    process.once("SIGTERM", () => stop("SIGTERM", 0).then(exitSoonAfter).then(resolve));
    process.once("SIGINT", () => stop("SIGINT", 0).then(exitSoonAfter).then(resolve));
    executor.started.catch((error: Error) => {
      if (stopping) return;
      log.fatal(error.message);
      stop("startup failed", 1).then(exitSoonAfter).then(resolve);
    });
  });
}

/** Once everything is stopped in order, a handle still open (seen in a container whose L1 RPC refused connections)
 * must not keep the process alive past its orchestrator's grace period. */
function exitSoonAfter(code: number): number {
  setTimeout(() => process.exit(code), 2_000).unref();
  return code;
}
