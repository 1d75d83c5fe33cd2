// What the controller assumes for a field the mutating webhook would have set. A Performer normally arrives
// defaulted; these keep the controller correct when it does not (webhook disabled, object created before the
// webhook was installed).
import type { PerformerHealthCheck as HealthCheck, PerformerSpec } from "../src/api/performer.ts";

/** The troubleshooting guide's probe: HTTP GET /health on 8090, first after 30 s, then every 10 s. */
export const DEFAULT_HEALTH_CHECK = {
  type: "http",
  path: "/health",
  port: 8090,
  initialDelaySeconds: 30,
  periodSeconds: 10,
} as const satisfies HealthCheck;

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
