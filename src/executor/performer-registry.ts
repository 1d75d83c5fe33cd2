// The performers this executor knows, and which one each AVS's tasks go to. A performer can be known without
// taking traffic (a blue-green deployment's new side until it is Ready, the old side while it drains).
import { avsLabelValue } from "../api/performer.ts";
import type { PerformerInfo } from "../grpc/messages.ts";
import type { InFlightLimiter } from "./in-flight-limiter.ts";
import type { PerformerConnection } from "./performer-connection.ts";

/** What the last health check said of a performer, as ListPerformers reports it. */
export interface PerformerHealth {
  /** What ListPerformers reports as `status`: the Performer's phase in kubernetes mode, the performer's own
   * grpc.health.v1 status (SERVING, NOT_SERVING, UNREACHABLE) in docker mode. */
  status: string;
  resourceHealthy: boolean;
  applicationHealthy: boolean;
  /** RFC 3339, empty until the first check. */
  lastHealthCheck: string;
  /** Why the last check found the performer unhealthy (its gRPC error, or the status it answered). */
  problem?: string;
}

/** One known performer: where it is, what it runs, its connection, its in-flight bound and its health. */
export interface PerformerRoute {
  performerId: string;
  /** As configured (checksum case kept); compare through avsKey. */
  avsAddress: string;
  artifactRegistry: string;
  artifactDigest: string;
  /** The Pod in kubernetes mode; empty in docker mode, where the executor does not run the container. */
  containerId: string;
  connection: PerformerConnection;
  limiter: InFlightLimiter;
  health: PerformerHealth;
}

/**
 * Addresses are case-insensitive (EIP-55 mixed case is only a checksum). The key is the AVS label's value, so
 * that a Performer's label finds its AVS.
 */
export const avsKey = avsLabelValue;

/** A known performer as ListPerformers answers it. */
export function performerInfo(route: PerformerRoute): PerformerInfo {
  return {
    performer_id: route.performerId,
    avs_address: route.avsAddress,
    status: route.health.status,
    artifact_registry: route.artifactRegistry,
    artifact_digest: route.artifactDigest,
    resource_healthy: route.health.resourceHealthy,
    application_healthy: route.health.applicationHealthy,
    last_health_check: route.health.lastHealthCheck,
    container_id: route.containerId,
    artifact_tag: "",
  };
}

/** The performers this executor knows and which one takes each AVS's tasks, for blue-green switches. */
export class PerformerRegistry {
  #byId = new Map<string, PerformerRoute>();
  #activeByAvs = new Map<string, string>();

  /** Makes a performer known; it takes no traffic until activate(). */
  add(route: PerformerRoute): void {
    if (this.#byId.has(route.performerId))
      throw new Error(`performer ${route.performerId} is already registered`);
    this.#byId.set(route.performerId, route);
  }

  /** Sends its AVS's tasks to this performer from now on; returns the performer that had them, if another. */
  activate(performerId: string): PerformerRoute | undefined {
    const route = this.#byId.get(performerId);
    if (!route) throw new Error(`performer ${performerId} is not registered`);
    const previousId = this.#activeByAvs.get(avsKey(route.avsAddress));
    this.#activeByAvs.set(avsKey(route.avsAddress), performerId);
    return previousId === undefined || previousId === performerId ? undefined : this.#byId.get(previousId);
  }

  /** Forgets a performer; its AVS then has no route until another is activated. */
  remove(performerId: string): PerformerRoute | undefined {
    const route = this.#byId.get(performerId);
    if (!route) return undefined;
    this.#byId.delete(performerId);
    const key = avsKey(route.avsAddress);
    if (this.#activeByAvs.get(key) === performerId) this.#activeByAvs.delete(key);
    return route;
  }

  /** A known performer by id, whether or not it takes traffic. */
  get(performerId: string): PerformerRoute | undefined {
    return this.#byId.get(performerId);
  }

  /** The performer that takes the AVS's tasks now. */
  routeFor(avsAddress: string): PerformerRoute | undefined {
    const id = this.#activeByAvs.get(avsKey(avsAddress));
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Whether the performer is the one its AVS's tasks go to now. */
  isActive(performerId: string): boolean {
    const route = this.#byId.get(performerId);
    return route !== undefined && this.#activeByAvs.get(avsKey(route.avsAddress)) === performerId;
  }

  /** Every known performer, or those of one AVS, sorted by id so listings are stable. */
  list(avsAddress?: string): PerformerRoute[] {
    const routes = [...this.#byId.values()].filter(
      (r) => !avsAddress || avsKey(r.avsAddress) === avsKey(avsAddress),
    );
    return routes.sort((a, b) => a.performerId.localeCompare(b.performerId));
  }
}
