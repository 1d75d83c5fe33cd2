// Opening and closing the route to one performer: its gRPC channel and its in-flight limit, the same in docker and
// kubernetes mode.
import { InFlightLimiter } from "./in-flight-limiter.ts";
import { connectPerformer } from "./performer-connection.ts";
import type { PerformerHealth, PerformerRoute } from "./performer-registry.ts";

type RouteFields = Pick<
  PerformerRoute,
  "performerId" | "avsAddress" | "artifactRegistry" | "artifactDigest" | "containerId"
>;

/** A route to the performer at `endpoint` (host:port) that gives it at most `maxInFlight` tasks at once, with
 * `maxQueued` more waiting. Its health is unknown until the first check, unless `health` says otherwise. */
export function openRoute(
  fields: RouteFields & {
    endpoint: string;
    maxInFlight: number;
    maxQueued: number;
    health?: Partial<PerformerHealth>;
  },
): PerformerRoute {
  const { endpoint, maxInFlight, maxQueued, health, ...route } = fields;
  return {
    ...route,
    connection: connectPerformer(endpoint),
    limiter: new InFlightLimiter(maxInFlight, maxQueued),
    health: {
      status: "UNKNOWN",
      resourceHealthy: false,
      applicationHealthy: false,
      lastHealthCheck: "",
      ...health,
    },
  };
}

/** Closes the route's channel once the tasks already sent on it have answered. */
export async function closeWhenIdle(route: PerformerRoute): Promise<void> {
  await route.limiter.idle();
  route.connection.close();
}
