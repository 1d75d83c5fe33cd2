// The Performer's defaults, one definition each: what the mutating webhook writes into a Performer that omits a
// field, and what the controller and the executor assume when a Performer arrives without it (webhook disabled,
// object created before the webhook was installed). DESIGN.md and the troubleshooting guide quote these values.
import type { DeploymentMode, PerformerHealthCheck as HealthCheck, PerformerSpec } from "./performer.ts";

/** Resource quantities by name (`cpu: "500m"`), as in a container's requests or limits. */
export type ResourceList = Record<string, string | number>;

/** What a Performer gets for what it leaves out: resources and gRPC port (the health check is always the guide's). */
export interface PerformerDefaults {
  requests: ResourceList;
  limits: ResourceList;
  grpcPort: number;
}

/** The performer's gRPC port (spec.config.grpcPort) when the Performer does not say. */
export const DEFAULT_GRPC_PORT = 9090;

/** spec.deploymentMode when the Performer does not say: its Pod runs on the cluster. */
export const DEFAULT_DEPLOYMENT_MODE: DeploymentMode = "kubernetes";

/** The troubleshooting guide's probe: HTTP GET /health on 8090, first after 30 s, then every 10 s. */
export const DEFAULT_HEALTH_CHECK = {
  type: "http",
  path: "/health",
  port: 8090,
  initialDelaySeconds: 30,
  periodSeconds: 10,
} as const satisfies HealthCheck;

/** The kubelet's default failureThreshold, used when the health check does not give one. */
export const DEFAULT_FAILURE_THRESHOLD = 3;

/** The operator's own defaults, for namespaces whose executor config sets none. */
export const OPERATOR_DEFAULTS: PerformerDefaults = {
  requests: { cpu: "500m", memory: "1Gi" },
  limits: { cpu: "2", memory: "4Gi" },
  grpcPort: DEFAULT_GRPC_PORT,
};

/** The port the Performer's Service exposes and its executor dials. */
export function grpcPortOf(spec: PerformerSpec): number {
  return spec.config?.grpcPort ?? DEFAULT_GRPC_PORT;
}

/** The health check with every omitted field defaulted. */
export function healthCheckOf(
  spec: PerformerSpec,
): HealthCheck &
  Required<Pick<HealthCheck, "type" | "path" | "port" | "initialDelaySeconds" | "periodSeconds">> {
  const given = spec.healthCheck ?? {};
  return {
    ...given,
    type: given.type ?? DEFAULT_HEALTH_CHECK.type,
    path: given.path ?? DEFAULT_HEALTH_CHECK.path,
    port: given.port ?? DEFAULT_HEALTH_CHECK.port,
    initialDelaySeconds: given.initialDelaySeconds ?? DEFAULT_HEALTH_CHECK.initialDelaySeconds,
    periodSeconds: given.periodSeconds ?? DEFAULT_HEALTH_CHECK.periodSeconds,
  };
}
