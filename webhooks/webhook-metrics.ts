// The admission webhooks' Prometheus metrics, named after controller-runtime's with the hourglass_ prefix, in the
// registry the caller owns (never prom-client's global one, so that two servers in one process do not collide).
import { Counter, Histogram, type Registry } from "prom-client";

/** The admission webhooks' latency and answer counts. */
export interface WebhookMetrics {
  /** Time to answer one AdmissionReview, cluster lookups included, by webhook path. */
  latencySeconds: Histogram<"webhook">;
  /** Answers by webhook path and the code they carry: 200 allowed, 422 denied, 400/413 unreadable, 5xx failed. */
  requestsTotal: Counter<"webhook" | "code">;
}

/** The webhooks' metrics (hourglass_webhook_*) in the caller's registry. */
export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  return {
    latencySeconds: new Histogram({
      name: "hourglass_webhook_latency_seconds",
      help: "Time to answer an admission review, by webhook path.",
      labelNames: ["webhook"],
      // The apiserver gives up after the webhooks' timeoutSeconds (5), so finer buckets below it.
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    requestsTotal: new Counter({
      name: "hourglass_webhook_requests_total",
      help: "Admission reviews answered, by webhook path and the code of the answer (200 when allowed).",
      labelNames: ["webhook", "code"],
      registers: [registry],
    }),
  };
}
