// From a validated executor config (defaults applied by the config module), the environment and the command line
// to the executor's settings. Validation proper (paths, lines, suggestions) is the config module's; what is
// checked here is only what the config cannot know: the environment and the flags.
import { parseGoDuration } from "../api/duration.ts";
import { defaultResourcesFor, type ResolvedExecutorConfig } from "../api/executor-config.ts";
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
}

const RUN_DEFAULTS = { host: "0.0.0.0", profilingPort: 6060, maxInFlight: 64, maxQueued: 256 } as const;

/** A duration the config module has already checked. */
function ms(value: string): number {
  return parseGoDuration(value)!;
}

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

export function executorSettings(
  config: ResolvedExecutorConfig,
  env: NodeJS.ProcessEnv,
  flags: RunFlags = {},
): ExecutorSettings {
  const pc = config.performer_config;
  const k8s = config.kubernetes;
  return {
    deploymentMode: config.deployment_mode,
    operator: { address: config.operator.address, ecdsaKeyFile: config.operator.ecdsa_key_file },
    host: flags.host ?? RUN_DEFAULTS.host,
    ports: {
      grpc: flags.grpcPort ?? config.grpc_port,
      ...(flags.managementPort === undefined ? {} : { management: flags.managementPort }),
      health: flags.healthPort ?? config.health_port,
      metrics: flags.metricsPort ?? config.metrics_port,
      profiling: flags.profilingPort ?? RUN_DEFAULTS.profilingPort,
    },
    // The snake_case config has no authentication section yet; Hourglass's default is off.
    authentication: { enabled: false },
    profiling: profilingEnabled(env.ENABLE_PROFILING),
    performer: {
      servicePattern: pc.service_pattern,
      defaultPort: pc.default_port,
      taskTimeoutMs: networkTimeoutMs(env.NETWORK_TIMEOUT) ?? ms(pc.connection_timeout),
      startupTimeoutMs: ms(pc.startup_timeout),
      retryAttempts: pc.retry_attempts,
      maxPerformers: pc.max_performers,
      maxInFlight: flags.maxInFlight ?? RUN_DEFAULTS.maxInFlight,
      maxQueued: flags.maxQueued ?? RUN_DEFAULTS.maxQueued,
    },
    ...(k8s
      ? {
          kubernetes: {
            namespace: k8s.namespace,
            crdGroup: k8s.performer_crd_group,
            crdVersion: k8s.performer_crd_version,
            crdPlural: pluralOf(k8s.performer_crd_kind),
            serviceAccount: k8s.service_account,
            cleanupOnShutdown: k8s.cleanup_on_shutdown,
            cleanupTimeoutMs: ms(k8s.cleanup_timeout),
            connectionTimeoutMs: ms(k8s.connection_timeout),
            kubeconfig: k8s.kubeconfig,
          },
        }
      : {}),
    // Hourglass's executor reads performerNetworkName from EXECUTOR_PERFORMER_NETWORK_NAME too.
    ...(env.EXECUTOR_PERFORMER_NETWORK_NAME
      ? { performerNetworkName: env.EXECUTOR_PERFORMER_NETWORK_NAME }
      : {}),
    avs: config.avs_config.supported_avs.map((avs) => ({
      address: avs.address,
      name: avs.name,
      performerImage: avs.performer_image,
      performerVersion: avs.performer_version,
      endpoint: avs.endpoint,
      resources: defaultResourcesFor(config, avs.address),
    })),
  };
}
