// `hourglass-executor run --config FILE`: validate the config as `validate` does, then serve until SIGTERM or
// SIGINT, which drain in-flight tasks and (kubernetes mode, cleanup_on_shutdown) delete the executor's Performers.
import { parseArgs } from "node:util";
import { loadExecutorConfigFile } from "../api/executor-config.ts";
import { errorsOf, formatProblem, warningsOf } from "../api/problem.ts";
import { createLogger, logLevelFromEnv } from "../observability/logger.ts";
import { executorSettings, type RunFlags } from "./config-settings.ts";
import { dockerPerformerManager } from "./docker-performers.ts";
import { type RunningExecutor, startExecutor } from "./executor.ts";
import { kubernetesPerformerManager, loadKubeConfig } from "./kubernetes-performers.ts";
import { loadOperatorSigner } from "./operator-key.ts";

export const RUN_USAGE = `usage: hourglass-executor run --config FILE [--host ADDR] [--grpc-port N] [--health-port N]
       [--metrics-port N] [--profiling-port N] [--max-in-flight N]
Ports default to the config's grpc_port, health_port, metrics_port (9000, 8090, 8080) and 6060; 0 picks a free port.
--max-in-flight bounds the tasks one performer is given at once (default 64); beyond it tasks get RESOURCE_EXHAUSTED.
Environment: LOG_LEVEL, NETWORK_TIMEOUT (executor → performer deadline), ENABLE_PROFILING=true.`;

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name}: "${value}" is not a port (0-65535)`);
  return n;
}

export function parseRunArgs(args: string[]): { configPath: string; flags: RunFlags } {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string", short: "c" },
      host: { type: "string" },
      "grpc-port": { type: "string" },
      "health-port": { type: "string" },
      "metrics-port": { type: "string" },
      "profiling-port": { type: "string" },
      "max-in-flight": { type: "string" },
    },
  });
  if (!values.config) throw new Error(`--config: required\n${RUN_USAGE}`);
  const maxInFlight = values["max-in-flight"] === undefined ? undefined : Number(values["max-in-flight"]);
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight > 0)) {
    throw new Error(`--max-in-flight: "${values["max-in-flight"]}" is not a positive integer`);
  }
  const flags: RunFlags = {
    host: values.host,
    grpcPort: portFlag("grpc-port", values["grpc-port"]),
    healthPort: portFlag("health-port", values["health-port"]),
    metricsPort: portFlag("metrics-port", values["metrics-port"]),
    profilingPort: portFlag("profiling-port", values["profiling-port"]),
    maxInFlight,
  };
  return { configPath: values.config, flags };
}

/** Runs the executor until a signal stops it; resolves with the process's exit code. */
export async function runExecutorCommand(args: string[]): Promise<number> {
  let configPath: string;
  let flags: RunFlags;
  try {
    ({ configPath, flags } = parseRunArgs(args));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }

  // The same checks, and messages, as `hourglass-executor validate`.
  const { config, problems } = loadExecutorConfigFile(configPath);
  const errors = errorsOf(problems);
  if (errors.length > 0 || !config) {
    for (const p of errors) process.stderr.write(`${configPath}: ${formatProblem(p)}\n`);
    return 1;
  }
  // LOG_LEVEL wins over the config's log_level, so that an operator can turn up logging without editing it.
  const log = createLogger("hourglass-executor", {
    level: process.env.LOG_LEVEL ? logLevelFromEnv() : config.log_level,
    format: config.log_format,
  });
  for (const p of warningsOf(problems)) log.warn({ path: p.path, line: p.line }, formatProblem(p));

  let executor: RunningExecutor;
  try {
    const settings = executorSettings(config, process.env, flags);
    const signer = await loadOperatorSigner(settings.operator);
    const kubeConfig =
      settings.kubernetes && settings.deploymentMode === "kubernetes"
        ? loadKubeConfig(settings.kubernetes)
        : undefined;
    executor = await startExecutor({
      settings,
      signer,
      log,
      performerManager: (registry) =>
        kubeConfig
          ? kubernetesPerformerManager({ registry, settings, kubeConfig, log })
          : dockerPerformerManager({
              registry,
              avs: settings.avs,
              maxInFlight: settings.performer.maxInFlight,
              log,
            }),
    });
  } catch (error) {
    log.fatal((error as Error).message);
    return 1;
  }

  // The first reason to stop decides the exit code; a startup failure caused by the stop itself is not one.
  let stopping: Promise<number> | undefined;
  const stop = (reason: string, code: number): Promise<number> => {
    if (!stopping) {
      log.info({ reason }, "shutting down");
      stopping = executor.stop().then(
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
    process.once("SIGTERM", () => stop("SIGTERM", 0).then(resolve));
    process.once("SIGINT", () => stop("SIGINT", 0).then(resolve));
    executor.started.catch((error: Error) => {
      if (stopping) return;
      log.fatal(error.message);
      stop("startup failed", 1).then(resolve);
    });
  });
}
