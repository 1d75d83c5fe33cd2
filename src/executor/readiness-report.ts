// What the executor's /ready answers, as a pure function of its state: ready only when it takes tasks (not
// stopping), every supported AVS has a performer routed, none of those performers failed its last health check,
// and the chain (when one backs it) answers. The body says which of these is not so, so that `hourglass doctor`
// and a user with curl can tell a drain from a performer that cannot be reached.
import type { PerformerRegistry } from "./performer-registry.ts";

/** The executor's state that /ready answers from. */
export interface ReadinessInput {
  stopping: boolean;
  /** The performers of every AVS were started (kubernetes mode: their Performers became Ready). */
  started: boolean;
  avs: readonly { address: string }[];
  registry: Pick<PerformerRegistry, "routeFor">;
  chain?: { ready: boolean } & Record<string, unknown>;
}

/** /ready's JSON body. */
export interface ReadinessReport {
  ready: boolean;
  stopping: boolean;
  /** Each AVS (as configured) and its routed performer, null when none is. */
  performers: Record<string, string | null>;
  /** AVSs whose routed performer failed its last health check: where it was dialled, and what came back. */
  unreachable?: Record<string, { performer: string; endpoint: string; problem: string }>;
  chain?: { ready: boolean } & Record<string, unknown>;
}

/** The body /ready serves, answered 200 when `ready`, else 503. */
export function readinessReport(input: ReadinessInput): ReadinessReport {
  const performers: ReadinessReport["performers"] = {};
  const unreachable: NonNullable<ReadinessReport["unreachable"]> = {};
  for (const { address } of input.avs) {
    const route = input.registry.routeFor(address);
    performers[address] = route?.performerId ?? null;
    // Before its first check a route's health is unknown: it was just found ready, so it counts as reachable.
    if (route && route.health.lastHealthCheck !== "" && !route.health.applicationHealthy) {
      unreachable[address] = {
        performer: route.performerId,
        endpoint: route.connection.endpoint,
        problem: route.health.problem ?? "unhealthy",
      };
    }
  }
  const routed = Object.values(performers).every((p) => p !== null);
  const reachable = Object.keys(unreachable).length === 0;
  const ready = !input.stopping && input.started && routed && reachable && (input.chain?.ready ?? true);
  return {
    ready,
    stopping: input.stopping,
    performers,
    ...(reachable ? {} : { unreachable }),
    ...(input.chain ? { chain: input.chain } : {}),
  };
}
