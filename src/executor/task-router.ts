// SubmitTask's logic, free of gRPC server plumbing: find the AVS's performer, call it under a deadline, retry
// only what is safe to retry, and answer every task exactly once: a signed TaskResult or a status that says why.
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { TaskResponse, TaskResult, TaskSubmission } from "../grpc/messages.ts";
import { isServiceError, statusError } from "../grpc/status.ts";
import { exponentialDelayMs, jittered } from "../kube/backoff.ts";
import type { ExecutorMetrics } from "./metrics.ts";
import type { OperatorSigner } from "./operator-signer.ts";
import { avsKey, type PerformerRegistry, type PerformerRoute } from "./performer-registry.ts";
import { isSafeToRetry } from "./retry-policy.ts";

export interface TaskRouterOptions {
  registry: PerformerRegistry;
  signer: OperatorSigner;
  metrics: ExecutorMetrics;
  /** The configured AVS addresses: an unknown AVS is NOT_FOUND, a known one without a performer UNAVAILABLE. */
  supportedAvs: readonly string[];
  /** How long a task may take, retries included (NETWORK_TIMEOUT, else performer_config.connection_timeout). */
  taskTimeoutMs: number;
  /** Retries after the first attempt (performer_config.retry_attempts). */
  retryAttempts: number;
  /** Delay before the first retry, doubling up to maxMs, jittered so that executors do not retry in lockstep. */
  backoff: { initialMs: number; maxMs: number };
  /** A trace line when a task arrives and a debug line when it is answered (LOG_LEVEL=debug shows each task). */
  log?: Logger;
}

function describe(route: PerformerRoute): string {
  return `performer ${route.performerId} (AVS ${route.avsAddress}, ${route.connection.endpoint})`;
}

/** The status the aggregator gets for a failed performer call, saying what happened and what to do. */
function answerForFailure(
  error: ServiceError,
  route: PerformerRoute,
  taskId: string,
  attempts: number,
): ServiceError {
  const who = describe(route);
  switch (error.code) {
    case status.DEADLINE_EXCEEDED:
      return statusError(
        status.DEADLINE_EXCEEDED,
        `${who} did not answer task ${taskId} before the deadline; raise NETWORK_TIMEOUT or performer_config.connection_timeout, or make the performer faster`,
      );
    case status.UNAVAILABLE:
      return isSafeToRetry(error.code, error.details)
        ? statusError(
            status.UNAVAILABLE,
            `${who} is unreachable after ${attempts} attempt(s), task ${taskId} was not run: ${error.details}`,
          )
        : statusError(
            status.UNAVAILABLE,
            `${who} dropped the connection while running task ${taskId}; the task may have run, resubmit it only if it is safe to run twice (${error.details})`,
          );
    default:
      return statusError(error.code, `${who} failed task ${taskId}: ${error.details}`);
  }
}

export class TaskRouter {
  readonly #options: TaskRouterOptions;
  readonly #supported: Map<string, string>;
  readonly #running = new Set<string>();

  constructor(options: TaskRouterOptions) {
    this.#options = options;
    this.#supported = new Map(options.supportedAvs.map((a) => [avsKey(a), a]));
  }

  /** `callDeadline` is the aggregator's own deadline, when it set one; the earlier deadline wins. */
  async submitTask(submission: TaskSubmission, callDeadline?: Date): Promise<TaskResult> {
    const { metrics, log } = this.#options;
    const started = performance.now();
    const avs = avsKey(submission.avs_address);
    const known = this.#supported.has(avs);
    // Unknown AVSs share one label value so that a caller cannot grow the metric's label set without bound.
    const labels = { avs: known ? avs : "unknown" };
    const task = { taskId: submission.task_id, avs: submission.avs_address };
    log?.trace({ ...task, payloadBytes: submission.payload.length }, "task received");
    metrics.tasksInFlight.inc(labels);
    let result = "success";
    try {
      const answered = await this.#submit(submission, known ? avs : undefined, callDeadline);
      metrics.tasksTotal.inc({ ...labels, result });
      return answered;
    } catch (error) {
      const code = isServiceError(error) ? error.code : status.INTERNAL;
      result = status[code]!.toLowerCase();
      metrics.tasksTotal.inc({ ...labels, result });
      const answer = isServiceError(error)
        ? error
        : statusError(status.INTERNAL, `task ${submission.task_id}: ${error}`);
      log?.debug({ ...task, result, reason: answer.details }, "task failed");
      throw answer;
    } finally {
      metrics.tasksInFlight.dec(labels);
      const seconds = (performance.now() - started) / 1000;
      metrics.taskDurationSeconds.observe(labels, seconds);
      if (result === "success")
        log?.debug({ ...task, durationMs: Math.round(seconds * 1000) }, "task answered");
    }
  }

  /** `avs`: the AVS's key when this executor serves it. */
  async #submit(
    submission: TaskSubmission,
    avs: string | undefined,
    callDeadline: Date | undefined,
  ): Promise<TaskResult> {
    const { task_id: taskId, avs_address: avsAddress } = submission;
    if (!taskId) throw statusError(status.INVALID_ARGUMENT, "task_id: empty; give every task a unique id");
    if (!avsAddress)
      throw statusError(status.INVALID_ARGUMENT, "avs_address: empty; name the AVS the task is for");
    if (avs === undefined) {
      throw statusError(
        status.NOT_FOUND,
        `avs_address: this executor serves no AVS ${avsAddress} (it serves ${[...this.#supported.values()].join(", ")}); add it to avs_config.supported_avs`,
      );
    }
    // A task id already running for the AVS is refused so that a resubmission cannot be executed, or answered, twice.
    const runningKey = `${avs}/${taskId}`;
    if (this.#running.has(runningKey)) {
      throw statusError(
        status.ALREADY_EXISTS,
        `task ${taskId} for AVS ${avsAddress} is already running; wait for its answer`,
      );
    }
    this.#running.add(runningKey);
    try {
      return await this.#execute(submission, avs, this.#deadline(callDeadline));
    } finally {
      this.#running.delete(runningKey);
    }
  }

  #deadline(callDeadline: Date | undefined): Date {
    const own = Date.now() + this.#options.taskTimeoutMs;
    return new Date(callDeadline && callDeadline.getTime() < own ? callDeadline.getTime() : own);
  }

  async #execute(submission: TaskSubmission, avs: string, deadline: Date): Promise<TaskResult> {
    const { registry, retryAttempts, backoff, metrics, signer } = this.#options;
    const { task_id: taskId, avs_address: avsAddress } = submission;
    for (let attempt = 1; ; attempt++) {
      // Looked up on every attempt: a blue-green switch may have moved the AVS to another performer meanwhile.
      const route = registry.routeFor(avsAddress);
      if (!route) {
        throw statusError(
          status.UNAVAILABLE,
          `AVS ${avsAddress} has no performer ready; see ListPerformers, and the Performer's status in kubernetes mode`,
        );
      }
      if (!route.limiter.tryAcquire()) {
        throw statusError(
          status.RESOURCE_EXHAUSTED,
          `${describe(route)} already runs ${route.limiter.limit} tasks, the most it is given at once; retry later`,
        );
      }
      // The slot is given back as soon as the call ends, however it ends: a task backing off is not running on
      // the performer (and its next attempt may go to another one, blue-green), and one that failed is done.
      let outcome: { response: TaskResponse } | { error: unknown };
      try {
        outcome = {
          response: await route.connection.executeTask(
            { task_id: taskId, payload: submission.payload },
            deadline,
          ),
        };
      } catch (error) {
        outcome = { error };
      } finally {
        route.limiter.release();
      }
      if ("error" in outcome) {
        const { error } = outcome;
        if (!isServiceError(error)) throw error;
        const delay = jittered(exponentialDelayMs(attempt, backoff.initialMs, backoff.maxMs), 0.5);
        const retry =
          isSafeToRetry(error.code, error.details) &&
          attempt <= retryAttempts &&
          Date.now() + delay < deadline.getTime();
        if (!retry) throw answerForFailure(error, route, taskId, attempt);
        metrics.taskRetriesTotal.inc({ avs });
        await sleep(delay);
        continue;
      }
      const { response } = outcome;
      if (response.task_id !== taskId) {
        throw statusError(
          status.INTERNAL,
          `${describe(route)} answered task ${taskId} with the result of task "${response.task_id}"; the performer must echo task_id`,
        );
      }
      return {
        task_id: taskId,
        avs_address: avsAddress,
        operator_address: signer.address,
        output: response.result,
        signature: signer.sign(response.result),
      };
    }
  }
}
