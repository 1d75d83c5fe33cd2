// The executor's Prometheus metrics, in a registry of its own (never prom-client's global one, so that two
// executors in one process, as in tests, do not collide).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The executor's Prometheus registry and the task and performer metrics it records. */
export interface ExecutorMetrics {
  registry: Registry;
  /** `result` is `success` or the gRPC status the task was answered with, lowercased (`deadline_exceeded`). */
  tasksTotal: Counter<"avs" | "result">;
  taskDurationSeconds: Histogram<"avs">;
  tasksInFlight: Gauge<"avs">;
  taskRetriesTotal: Counter<"avs">;
  performersReady: Gauge<"avs">;
}

/** A fresh registry with the executor's metrics (hourglass_executor_*) and Node's default ones. */
export function createExecutorMetrics(): ExecutorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hourglass_executor_" });
  return {
    registry,
    tasksTotal: new Counter({
      name: "hourglass_executor_tasks_total",
      help: "Tasks answered, by AVS and result (success, or the gRPC status returned to the aggregator).",
      labelNames: ["avs", "result"],
      registers: [registry],
    }),
    taskDurationSeconds: new Histogram({
      name: "hourglass_executor_task_duration_seconds",
      help: "Time from receiving a task to answering it, retries included.",
      labelNames: ["avs"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    tasksInFlight: new Gauge({
      name: "hourglass_executor_tasks_in_flight",
      help: "Tasks received and not yet answered, by AVS.",
      labelNames: ["avs"],
      registers: [registry],
    }),
    taskRetriesTotal: new Counter({
      name: "hourglass_executor_task_retries_total",
      help: "Attempts repeated after a failure that was safe to retry (the performer had not received the task).",
      labelNames: ["avs"],
      registers: [registry],
    }),
    performersReady: new Gauge({
      name: "hourglass_executor_performers_ready",
      help: "1 when the AVS has a performer taking its tasks, else 0.",
      labelNames: ["avs"],
      registers: [registry],
    }),
  };
}
