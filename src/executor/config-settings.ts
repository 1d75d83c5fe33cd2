// From the config's model (defaults applied by the config module), the environment and the command line to the
// executor's settings. Validation proper (paths, lines, suggestions) is the config module's; what is checked here
// is only what the config cannot know: the environment and the flags.
import { parseGoDuration } from "../api/duration.ts";
import type { ExecutorConfig } from "../api/executor-config.ts";
import { profilingEnabled } from "../observability/profiling-enabled.ts";
import type { ExecutorSettings } from "./settings.ts";

/** Command-line overrides of `hourglass-executor run`. */
export interface RunFlags {
  host?: string;
  grpcPort?: number;
  managementPort?: number;
  healthPort?: number;
  metricsPort?: number;
  profilingPort?: number;
  maxInFlight?: number;
  maxQueued?: number;
  signingThreads?: number;
}

const RUN_DEFAULTS = {
  host: "0.0.0.0",
  profilingPort: 6060,
  maxInFlight: 64,
  maxQueued: 256,
  signingThreads: 0,
} as const;

/** NETWORK_TIMEOUT: a Go duration ("45s"), or a bare number of seconds. */
export function networkTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseGoDuration(value);
  if (parsed === undefined || parsed <= 0) {
    throw new Error(
      `NETWORK_TIMEOUT: "${value}" is not a positive duration; write e.g. 30s, 2m or a number of seconds`,
    );
  }
  return parsed;
}

/** The kind's resource name as Kubernetes derives it for a CRD that declares no other: lowercase, plus "s". */
function pluralOf(kind: string): string {
  return `${kind.toLowerCase()}s`;
}

/** The running executor's settings from the config, the environment and the flags. */
export function executorSettings(
  config: ExecutorConfig,
  env: NodeJS.ProcessEnv,
  flags: RunFlags = {},
): ExecutorSettings {
  const pc = config.performer;
  const k8s = config.kubernetes;
  const grpc = flags.grpcPort ?? config.grpcPort;
  // Unset: management is served on the gRPC server itself, as in Hourglass.
  const management = flags.managementPort ?? config.managementServerGrpcPort;
  return {
    deploymentMode: config.deploymentMode,
    operator: config.operator,
    chain: {
      l1Chain: config.l1Chain,
      contracts: config.contracts,
      overrideContracts: config.overrideContracts,
    },
    ...(config.storage ? { storage: config.storage } : {}),
    authentication: config.authentication,
    host: flags.host ?? RUN_DEFAULTS.host,
    ports: {
      grpc,
      ...(management === undefined ? {} : { management }),
      health: flags.healthPort ?? config.healthPort,
      metrics: flags.metricsPort ?? config.metricsPort,
      profiling: flags.profilingPort ?? RUN_DEFAULTS.profilingPort,
    },
    profiling: profilingEnabled(env.ENABLE_PROFILING),
    signingThreads: flags.signingThreads ?? RUN_DEFAULTS.signingThreads,
    performer: {
      servicePattern: pc.servicePattern,
      defaultPort: pc.defaultPort,
      taskTimeoutMs: networkTimeoutMs(env.NETWORK_TIMEOUT) ?? pc.connectionTimeoutMs,
      startupTimeoutMs: pc.startupTimeoutMs,
      retryAttempts: pc.retryAttempts,
      maxPerformers: pc.maxPerformers,
      maxInFlight: flags.maxInFlight ?? RUN_DEFAULTS.maxInFlight,
      maxQueued: flags.maxQueued ?? RUN_DEFAULTS.maxQueued,
    },
    ...(k8s
      ? {
          kubernetes: {
            namespace: k8s.namespace,
            crdGroup: k8s.crdGroup,
            crdVersion: k8s.crdVersion,
            crdPlural: pluralOf(k8s.crdKind),
            serviceAccount: k8s.serviceAccount,
            cleanupOnShutdown: k8s.cleanupOnShutdown,
            cleanupTimeoutMs: k8s.cleanupTimeoutMs,
            connectionTimeoutMs: k8s.connectionTimeoutMs,
            // In a cluster without a path: the Pod's service account (loadKubeConfig's default).
            kubeconfig: k8s.kubeConfigPath,
          },
        }
      : {}),
    // Hourglass's executor reads performerNetworkName from EXECUTOR_PERFORMER_NETWORK_NAME too.
    ...(env.EXECUTOR_PERFORMER_NETWORK_NAME || config.performerNetworkName
      ? { performerNetworkName: env.EXECUTOR_PERFORMER_NETWORK_NAME || config.performerNetworkName }
      : {}),
    avs: config.avs.map((avs) => ({
      address: avs.address,
      name: avs.name,
      performerImage: avs.image?.repository,
      performerVersion: avs.image?.tag,
      endpoint: avs.endpoint ?? avs.kubernetes?.endpointOverride,
      resources: avs.defaultResources,
      envs: avs.envs,
      serviceAccountName: avs.kubernetes?.serviceAccountName,
    })),
  };
}
