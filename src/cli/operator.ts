import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { collectDefaultMetrics, Registry } from "prom-client";
import { DEFAULT_WORKERS, startPerformerController } from "../../controllers/manager.ts";
import { noAccessChecks } from "../../webhooks/access-facts.ts";
import { type AdmissionFacts, noClusterFacts } from "../../webhooks/admission-facts.ts";
import { startCachedAdmissionFacts } from "../../webhooks/cached-admission-facts.ts";
import { hourglassWebhooks } from "../../webhooks/hourglass-webhooks.ts";
import { kubernetesAccessFacts } from "../../webhooks/kubernetes-access-facts.ts";
import { createWebhookMetrics } from "../../webhooks/webhook-metrics.ts";
import { startWebhookServer } from "../../webhooks/webhook-server.ts";
import { errorLogFields } from "../kube/api-errors.ts";
import { inCluster, loadKubeConfig } from "../kube/kubeconfig.ts";
import { serveHttp } from "../observability/http-server.ts";
import { createLogger } from "../observability/logger.ts";
import { Readiness, startMetricsServer } from "../observability/metrics-server.ts";
import { profilingRoutes } from "../observability/profiling.ts";
import { profilingEnabled } from "../observability/profiling-enabled.ts";
import { integerFlag, parseFlags, portFlag, runProgram } from "./args.ts";

/** What the operator process runs with, from its flags and environment: webhooks, ports, leader election,
 * workers. */
export interface OperatorOptions {
  webhooks: boolean;
  webhookHost: string;
  webhookPort: number;
  webhookCertDir: string;
  metricsHost: string;
  metricsPort: number;
  /** Serve CPU and heap profiles on 127.0.0.1 at this port (ENABLE_PROFILING=true or 1); absent: not served. */
  profilingPort?: number;
  kubeconfig?: string;
  controller: boolean;
  /** Performers reconciled at once. */
  workers: number;
  leaderElect: boolean;
}

const USAGE = `Usage: hourglass-operator [flags]

Serves the admission webhooks for Performers and executor configs, runs the Performer controller, and serves
/metrics, /healthz and /readyz.

  --webhook-host HOST      address the webhooks listen on (default 0.0.0.0)
  --webhook-port PORT      HTTPS port of the webhooks (default 9443)
  --webhook-cert-dir DIR   directory holding tls.crt and tls.key, re-read when they change
                           (default /etc/hourglass/webhook-certs)
  --no-webhooks            do not serve the webhooks
  --metrics-host HOST      address of /metrics, /healthz and /readyz (default 0.0.0.0)
  --metrics-port PORT      their HTTP port (default 8080)
  --kubeconfig FILE        cluster to use; in a Pod the service account is used. Without either, the
                           webhooks skip their cluster lookups (the controller needs a cluster)
  --no-controller          do not run the Performer controller
  --workers N              Performers reconciled at once (default ${DEFAULT_WORKERS})
  --leader-elect           reconcile only while holding the Lease hourglass-operator in $POD_NAMESPACE
  --help                   print this help

  --profiling-port PORT    with ENABLE_PROFILING=true or 1, CPU and heap profiles on 127.0.0.1:PORT (default 6060):
                           /debug/pprof/profile?seconds=N and /debug/pprof/heap

Environment: LOG_LEVEL (trace, debug, info, warn, error, fatal; default info), ENABLE_PROFILING (true serves
profiles).
`;

interface Running {
  name: string;
  close(): Promise<void>;
}

/**
 * How often the event-loop lag is sampled. prom-client's 10 ms woke the operator 100 times a second, idle or not,
 * and on a busy node each wakeup waits for a CPU (bench/admission-apiserver.ts: the event loop scheduled in 9-11
 * times per admission review at 10 ms, 6 at 100 ms). A stall still shows whenever a sample falls due during it.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** Starts what `options` asks for; the returned parts are to be closed in reverse order. */
export async function startOperator(options: OperatorOptions, logger: Logger): Promise<Running[]> {
  const running: Running[] = [];
  try {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    const readiness = new Readiness();
    const kubeConfig = clusterAccess(options);
    if (!kubeConfig) {
      logger.info(
        "no --kubeconfig and not in a cluster: admission lookups are skipped, operator defaults apply",
      );
    }

    if (options.webhooks) {
      // Facts from caches of the cluster, on every replica (live lookups until they have synced).
      const cached = kubeConfig ? startCachedAdmissionFacts({ kubeConfig, logger }) : undefined;
      if (cached) running.push({ name: "admission caches", close: cached.stop });
      const facts: AdmissionFacts = cached ?? noClusterFacts;
      const webhooks = await startWebhookServer({
        host: options.webhookHost,
        port: options.webhookPort,
        certDir: options.webhookCertDir,
        webhooks: hourglassWebhooks(facts, kubeConfig ? kubernetesAccessFacts(kubeConfig) : noAccessChecks),
        metrics: createWebhookMetrics(registry),
        logger,
      });
      running.push({ name: "webhook server", close: webhooks.close });
    }

    // The Performer controller: informers on every replica, reconciles on the leader.
    if (options.controller && kubeConfig) {
      const controller = startPerformerController({
        kubeConfig,
        registry,
        logger,
        leaderElect: options.leaderElect,
        workers: options.workers,
        ...(process.env.POD_NAMESPACE ? { leaseNamespace: process.env.POD_NAMESPACE } : {}),
      });
      readiness.add("informers synced", () => controller.ready());
      running.push({ name: "controller", close: () => controller.stop() });
    }

    if (options.profilingPort !== undefined) {
      // Profiles expose the process's memory: loopback only, reached with `kubectl port-forward`.
      const profiling = await serveHttp("127.0.0.1", options.profilingPort, await profilingRoutes());
      running.push({ name: "profiling server", close: profiling.close });
      logger.info({ profilingPort: profiling.port }, "serving CPU and heap profiles");
    }

    // Started last, so that /readyz answers only once everything above runs; stopped last (closeAll), so that
    // probes keep answering while the rest drains.
    const metrics = await startMetricsServer({
      host: options.metricsHost,
      port: options.metricsPort,
      registry,
      readiness,
    });
    running.unshift({ name: "metrics server", close: metrics.close });
    logger.info({ metricsPort: metrics.port }, "serving /metrics, /healthz and /readyz");
    return running;
  } catch (err) {
    await closeAll(running, logger);
    throw err;
  }
}

/**
 * The cluster the operator talks to: --kubeconfig, else the Pod's service account; the controller also takes
 * $KUBECONFIG or ~/.kube/config. Webhooks alone run without one.
 */
function clusterAccess(options: OperatorOptions): KubeConfig | undefined {
  if (options.kubeconfig || inCluster() || options.controller) {
    return loadKubeConfig(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {});
  }
  return undefined;
}

async function closeAll(running: readonly Running[], logger: Logger): Promise<void> {
  // Webhooks and controller first (in-flight work finishes), the metrics server last so probes answer meanwhile.
  for (const part of [...running].reverse()) {
    try {
      await part.close();
    } catch (err) {
      logger.error({ err }, `stopping the ${part.name} failed`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const options = operatorOptions(argv);
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger("hourglass-operator");
  let running: Running[];
  try {
    running = await startOperator(options, logger);
  } catch (err) {
    logger.fatal(errorLogFields(err), "the operator could not start");
    return 1;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    closeAll(running, logger).then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return 0;
}

const FLAGS = {
  "webhook-host": { type: "string", default: "0.0.0.0" },
  "webhook-port": { type: "string", default: "9443" },
  "webhook-cert-dir": { type: "string", default: "/etc/hourglass/webhook-certs" },
  "no-webhooks": { type: "boolean", default: false },
  "metrics-host": { type: "string", default: "0.0.0.0" },
  "metrics-port": { type: "string", default: "8080" },
  "profiling-port": { type: "string", default: "6060" },
  kubeconfig: { type: "string" },
  "no-controller": { type: "boolean", default: false },
  workers: { type: "string", default: String(DEFAULT_WORKERS) },
  "leader-elect": { type: "boolean", default: false },
} as const;

/** The options the command line asks for, or "help"; a mistake throws UsageError. */
function operatorOptions(argv: string[]): OperatorOptions | "help" {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help) return "help";
  return {
    webhooks: !flags["no-webhooks"],
    webhookHost: flags["webhook-host"],
    webhookPort: portFlag("webhook-port", flags["webhook-port"]),
    webhookCertDir: flags["webhook-cert-dir"],
    metricsHost: flags["metrics-host"],
    metricsPort: portFlag("metrics-port", flags["metrics-port"]),
    ...(profilingEnabled(process.env.ENABLE_PROFILING)
      ? { profilingPort: portFlag("profiling-port", flags["profiling-port"]) }
      : {}),
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    controller: !flags["no-controller"],
    workers: integerFlag("workers", flags.workers, { min: 1, max: 64 }, "a worker count"),
    leaderElect: flags["leader-elect"],
  };
}

if (import.meta.main) {
  await runProgram("hourglass-operator", USAGE, () => main(process.argv.slice(2)));
}
