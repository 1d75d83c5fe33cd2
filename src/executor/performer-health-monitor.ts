// Asks every known performer for its grpc.health.v1 status at an interval, so that ListPerformers and /ready tell
// the truth between tasks. Checks never overlap: a slow performer delays the next round instead of piling up calls.
import type { PerformerRegistry } from "./performer-registry.ts";

/** How often and how long performers are asked for their health, and whether the answer is their status. */
export interface HealthMonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  /** docker mode: the health answer is the performer's status; kubernetes mode: the Performer's phase is. */
  reportsStatus: boolean;
}

/** One round of health checks over every known performer, recording each answer in its route. */
export async function checkPerformers(
  registry: PerformerRegistry,
  options: HealthMonitorOptions,
): Promise<void> {
  await Promise.all(
    registry.list().map(async (route) => {
      const { health } = route;
      try {
        const answer = await route.connection.healthCheck(new Date(Date.now() + options.timeoutMs));
        health.applicationHealthy = answer.status === "SERVING";
        health.problem = health.applicationHealthy ? undefined : `grpc.health.v1 answered ${answer.status}`;
        if (options.reportsStatus) {
          health.status = answer.status;
          health.resourceHealthy = true;
        }
      } catch (error) {
        health.applicationHealthy = false;
        health.problem = (error as Error).message;
        if (options.reportsStatus) {
          health.status = "UNREACHABLE";
          health.resourceHealthy = false;
        }
      }
      health.lastHealthCheck = new Date().toISOString();
    }),
  );
}

/** Returns a function that stops the monitor and waits for a round in progress. */
export function monitorPerformerHealth(
  registry: PerformerRegistry,
  options: HealthMonitorOptions,
): () => Promise<void> {
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    round = checkPerformers(registry, options).finally(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await round;
  };
}
