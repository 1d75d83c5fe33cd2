// Waiting for a Performer to become Ready: the verdict on each event is a pure function; the wait follows the
// store's events, ends with startup_timeout, and ends at once when its signal is aborted.
import type { Performer } from "../api/performer.ts";
import type { InformerEvent } from "../kube/informer.ts";
import { isPerformerReady, notReadyReason } from "./performer-manifest.ts";
import type { PerformerEvents } from "./performer-store.ts";

/** Where a wait for a Performer stands: Ready, given up on with a reason, or still waiting (undefined). */
export type Readiness = { ready: Performer } | { failed: string } | undefined;

/** What one event says of the wait for `performer`: Ready, never going to be (deleted, Failed), or not yet. */
export function readinessOf(performer: Performer, event: InformerEvent): Readiness {
  const id = `Performer ${performer.metadata.namespace}/${performer.metadata.name}`;
  if (event === "delete") return { failed: `${id} was deleted while starting` };
  if (isPerformerReady(performer)) return { ready: performer };
  if (performer.status?.phase === "Failed") return { failed: `${id} failed: ${notReadyReason(performer)}` };
  return undefined;
}

/** Resolves with the Performer once Ready; rejects after `timeoutMs` with what its conditions say, or when
 * `signal` is aborted. */
export function waitUntilReady(
  events: PerformerEvents,
  name: string,
  options: { namespace: string; timeoutMs: number; signal: AbortSignal },
): Promise<Performer> {
  const { namespace, timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error(`executor shutting down before Performer ${name} was Ready`));
      return;
    }
    const unsubscribe = events.subscribe((performer, event) => {
      if (performer.metadata.name === name) settle(readinessOf(performer, event));
    });
    const timer = setTimeout(
      () =>
        settle({
          failed: `Performer ${namespace}/${name} is not Ready after ${timeoutMs} ms (performer_config.startup_timeout): ${notReadyReason(events.get(name))}`,
        }),
      timeoutMs,
    );
    const onAbort = () => settle({ failed: `executor shutting down before Performer ${name} was Ready` });
    signal.addEventListener("abort", onAbort);
    function settle(outcome: Readiness) {
      if (!outcome) return;
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener("abort", onAbort);
      if ("ready" in outcome) resolve(outcome.ready);
      else reject(new Error(outcome.failed));
    }
    const current = events.get(name);
    if (current) settle(readinessOf(current, "update"));
  });
}
