// controller-runtime's reconcile metrics, under the project's prefix.
import { Counter, Histogram, type Registry } from "prom-client";

/** controller-runtime's results: requeue_after for a reconcile that asks to look again later, requeue for one
 * put back with backoff without failing (here, a conflict with a newer object). */
export const RECONCILE_RESULTS = ["success", "error", "requeue", "requeue_after"] as const;
/** How one reconcile ended, as the result label of hourglass_reconcile_total says it. */
export type ReconcileOutcome = (typeof RECONCILE_RESULTS)[number];

/** A controller's reconcile count by result and its reconcile duration. */
export interface ReconcileMetrics {
  total: Counter<"controller" | "result">;
  time: Histogram<"controller">;
}

/** The reconcile metrics in a registry, registered once however many controllers ask. */
export function reconcileMetrics(registry: Registry, controller: string): ReconcileMetrics {
  const registers = [registry];
  const total =
    (registry.getSingleMetric("hourglass_reconcile_total") as Counter<"controller" | "result"> | undefined) ??
    new Counter({
      name: "hourglass_reconcile_total",
      help: "Total number of reconciliations per controller and result",
      labelNames: ["controller", "result"],
      registers,
    });
  const time =
    (registry.getSingleMetric("hourglass_reconcile_time_seconds") as Histogram<"controller"> | undefined) ??
    new Histogram({
      name: "hourglass_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
  // Every result is exported from the start, at 0, so that rate() sees the first error.
  for (const result of RECONCILE_RESULTS) total.inc({ controller, result }, 0);
  return { total, time };
}
