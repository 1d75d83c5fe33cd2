// SubmitTask's logic, free of gRPC server plumbing: find the AVS's performer, wait for one of its slots (in a
// bounded queue), call it under a deadline, retry only what is safe to retry, and answer every task exactly once:
// a signed TaskResult or a status that says why. A task whose caller goes away (cancel, deadline) stops at once:
// it leaves the queue or its performer call is cancelled, and its slot is free for the next task.
import { setTimeout as sleep } from "node:timers/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { TaskResponse, TaskResult, TaskSubmission } from "../grpc/messages.ts";
import { isServiceError } from "../grpc/status.ts";
import { exponentialDelayMs, jittered } from "../kube/backoff.ts";
import { asServiceError, EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import { QueueFullError, type Release } from "./in-flight-limiter.ts";
import type { ExecutorMetrics } from "./metrics.ts";
import { avsKey, type PerformerRegistry, type PerformerRoute } from "./performer-registry.ts";
import type { ResultSigner } from "./result-signer.ts";
import { isSafeToRetry } from "./retry-policy.ts";
import { describeTaskId, taskIdBytesOf } from "./task-id.ts";

/** What a TaskRouter routes through and its limits: performers, signer, metrics, timeouts and retries. */
export interface TaskRouterOptions {
  registry: PerformerRegistry;
  signer: ResultSigner;
  metrics: ExecutorMetrics;
  /** The configured AVS addresses: an unknown AVS is NOT_FOUND, a known one without a performer UNAVAILABLE. */
  supportedAvs: readonly string[];
  /** How long a task may take, queueing and retries included (NETWORK_TIMEOUT, else connection_timeout). */
  taskTimeoutMs: number;
  /** Retries after the first attempt (performer_config.retry_attempts). */
  retryAttempts: number;
  /** Delay before the first retry, doubling up to maxMs, jittered so that executors do not retry in lockstep. */
  backoff: { initialMs: number; maxMs: number };
  /** A trace line when a task arrives and a debug line when it is answered (LOG_LEVEL=debug shows each task). */
  log?: Logger;
}

/** What the caller of one task gives besides the task: its own deadline, and a signal for its going away. */
export interface TaskCall {
  deadline?: Date;
  /** Aborts when the caller cancels (or its connection drops). */
  signal?: AbortSignal;
}

/** Why a task's own signal aborted. */
const CANCELLED_BY_CALLER = "cancelled by the caller";
const DEADLINE_PASSED = "deadline passed";

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
      return executorError(
        EXECUTOR_ERRORS.performerDeadline,
        `${who} did not answer task ${taskId} before the deadline; raise NETWORK_TIMEOUT or performer_config.connection_timeout, or make the performer faster`,
      );
    case status.UNAVAILABLE:
      return isSafeToRetry(error.code, error.details)
        ? executorError(
            EXECUTOR_ERRORS.performerUnreachable,
            `${who} is unreachable after ${attempts} attempt(s), task ${taskId} was not run: ${error.details}`,
          )
        : executorError(
            EXECUTOR_ERRORS.performerDropped,
            `${who} dropped the connection while running task ${taskId}; the task may have run, resubmit it only if it is safe to run twice (${error.details})`,
          );
    default:
      return executorError(
        EXECUTOR_ERRORS.performerFailed,
        `${who} failed task ${taskId}: ${error.details}`,
        error.code,
      );
  }
}

/** Answers each SubmitTask once: through the AVS's performer under deadline and retries, to a signed result
 * or a status. */
export class TaskRouter {
  readonly #options: TaskRouterOptions;
  readonly #supported: Set<string>;
  readonly #running = new Set<string>();

  constructor(options: TaskRouterOptions) {
    this.#options = options;
    this.#supported = new Set(options.supportedAvs.map(avsKey));
  }

  /** `call.deadline` is the aggregator's own deadline, when it set one; the earlier deadline wins. */
  async submitTask(submission: TaskSubmission, call: TaskCall = {}): Promise<TaskResult> {
    const { metrics, log } = this.#options;
    const started = performance.now();
    const avs = avsKey(submission.avs_address);
    const known = this.#supported.has(avs);
    // Unknown AVSs share one label value so that a caller cannot grow the metric's label set without bound.
    const labels = { avs: known ? avs : "unknown" };
    const idBytes = taskIdBytesOf(submission);
    const task = { taskId: describeTaskId(idBytes), avs: submission.avs_address };
    log?.trace({ ...task, payloadBytes: submission.payload.length }, "task received");
    metrics.tasksInFlight.inc(labels);
    let result = "success";
    try {
      const answered = await this.#submit(submission, idBytes, task.taskId, known ? avs : undefined, call);
      metrics.tasksTotal.inc({ ...labels, result });
      return answered;
    } catch (error) {
      const answer = asServiceError(error, `task ${task.taskId}`);
      result = status[answer.code]!.toLowerCase();
      metrics.tasksTotal.inc({ ...labels, result });
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

  /** `idBytes` and `taskId`: the task's id as received and as messages show it; `avs`: the AVS's key when this
   * executor serves it. */
  async #submit(
    submission: TaskSubmission,
    idBytes: Buffer,
    taskId: string,
    avs: string | undefined,
    call: TaskCall,
  ): Promise<TaskResult> {
    const avsAddress = submission.avs_address;
    if (idBytes.length === 0) {
      throw executorError(EXECUTOR_ERRORS.taskIdEmpty, "task_id: empty; give every task a unique id");
    }
    if (!avsAddress) {
      throw executorError(
        EXECUTOR_ERRORS.avsAddressEmpty,
        "avs_address: empty; name the AVS the task is for",
      );
    }
    if (avs === undefined) {
      // Which AVSs this executor serves is not the caller's business: the message names only the one asked for.
      throw executorError(
        EXECUTOR_ERRORS.unknownAvs,
        `avs_address: this executor serves no AVS ${avsAddress}; check the address, or add the AVS to the executor's config`,
      );
    }
    // A task id already running for the AVS is refused so that a resubmission cannot be executed, or answered, twice.
    const runningKey = `${avs}/${idBytes.toString("hex")}`;
    if (this.#running.has(runningKey)) {
      throw executorError(
        EXECUTOR_ERRORS.taskAlreadyRunning,
        `task ${taskId} for AVS ${avsAddress} is already running; wait for its answer`,
      );
    }
    this.#running.add(runningKey);
    const deadline = this.#deadline(call.deadline);
    const task = new AbortController();
    const onCallerGone = () => task.abort(CANCELLED_BY_CALLER);
    if (call.signal?.aborted) onCallerGone();
    call.signal?.addEventListener("abort", onCallerGone, { once: true });
    const timer = setTimeout(() => task.abort(DEADLINE_PASSED), Math.max(0, deadline.getTime() - Date.now()));
    try {
      await this.#options.signer.admit?.(submission, task.signal);
      const response = await this.#execute(submission, idBytes, taskId, deadline, task.signal);
      const signatures = await this.#options.signer
        .signResult(submission, response.result, task.signal)
        .catch((error: unknown) => {
          // A status the signer chose (the chain unreachable: UNAVAILABLE) is the answer as it is.
          if (isServiceError(error)) throw error;
          throw executorError(
            EXECUTOR_ERRORS.signingFailed,
            `task ${taskId}: signing the result failed: ${(error as Error)?.message ?? error}`,
          );
        });
      return {
        task_id: submission.task_id,
        taskIdBytes: response.task_id,
        avs_address: avsAddress,
        operator_address: this.#options.signer.address,
        output: response.result,
        ...signatures,
        operator_set_id: submission.operator_set_id,
        version: submission.version,
      };
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener("abort", onCallerGone);
      this.#running.delete(runningKey);
    }
  }

  #deadline(callDeadline: Date | undefined): Date {
    const own = Date.now() + this.#options.taskTimeoutMs;
    return new Date(callDeadline && callDeadline.getTime() < own ? callDeadline.getTime() : own);
  }

  /** The error for a task whose signal aborted, `where` it was then. */
  #abandoned(
    signal: AbortSignal,
    taskId: string,
    where: "queue" | "call",
    route: PerformerRoute,
  ): ServiceError {
    if (signal.reason === CANCELLED_BY_CALLER) {
      return executorError(EXECUTOR_ERRORS.taskCancelled, `task ${taskId}: cancelled by the caller`);
    }
    return where === "queue"
      ? executorError(
          EXECUTOR_ERRORS.queueDeadline,
          `task ${taskId} waited for a slot of ${describe(route)} until its deadline; the performer is saturated (${route.limiter.limit} tasks at once): add capacity, raise --max-in-flight, or lower the rate`,
        )
      : executorError(
          EXECUTOR_ERRORS.performerDeadline,
          `${describe(route)} did not answer task ${taskId} before the deadline; raise NETWORK_TIMEOUT or performer_config.connection_timeout, or make the performer faster`,
        );
  }

  async #acquire(route: PerformerRoute, taskId: string, signal: AbortSignal): Promise<Release> {
    try {
      return await route.limiter.acquire(signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        throw executorError(
          EXECUTOR_ERRORS.queueFull,
          `${describe(route)} already runs ${route.limiter.limit} tasks and ${route.limiter.maxQueued} more wait; task ${taskId} was not queued, retry later`,
        );
      }
      throw this.#abandoned(signal, taskId, "queue", route);
    }
  }

  async #execute(
    submission: TaskSubmission,
    idBytes: Buffer,
    taskId: string,
    deadline: Date,
    signal: AbortSignal,
  ): Promise<TaskResponse> {
    const { registry, retryAttempts, backoff, metrics } = this.#options;
    const avsAddress = submission.avs_address;
    for (let attempt = 1; ; attempt++) {
      // Looked up on every attempt: a blue-green switch may have moved the AVS to another performer meanwhile.
      const route = registry.routeFor(avsAddress);
      if (!route) {
        throw executorError(
          EXECUTOR_ERRORS.noPerformerReady,
          `AVS ${avsAddress} has no performer ready; see ListPerformers, and the Performer's status in kubernetes mode`,
        );
      }
      const release = await this.#acquire(route, taskId, signal);
      // The slot is given back as soon as the call ends, however it ends, and at once when the task is abandoned
      // (the cancelled call's own answer comes later): a task backing off is not running on the performer (its
      // next attempt may go to another one, blue-green), and one that failed or was abandoned is done.
      signal.addEventListener("abort", release, { once: true });
      let outcome: { response: TaskResponse } | { error: unknown };
      try {
        outcome = {
          response: await route.connection.executeTask(
            { task_id: idBytes, payload: submission.payload },
            deadline,
            signal,
          ),
        };
      } catch (error) {
        outcome = { error };
      } finally {
        signal.removeEventListener("abort", release);
        release();
      }
      if ("error" in outcome) {
        const { error } = outcome;
        if (signal.aborted) throw this.#abandoned(signal, taskId, "call", route);
        if (!isServiceError(error)) throw error;
        const delay = jittered(exponentialDelayMs(attempt, backoff.initialMs, backoff.maxMs), 0.5);
        const retry =
          isSafeToRetry(error.code, error.details) &&
          attempt <= retryAttempts &&
          Date.now() + delay < deadline.getTime();
        if (!retry) throw answerForFailure(error, route, taskId, attempt);
        metrics.taskRetriesTotal.inc({ avs: avsKey(avsAddress) });
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          throw this.#abandoned(signal, taskId, "call", route);
        }
        continue;
      }
      const { response } = outcome;
      if (!response.task_id.equals(idBytes)) {
        throw executorError(
          EXECUTOR_ERRORS.performerWrongTaskId,
          `${describe(route)} answered task ${taskId} with the result of task ${describeTaskId(response.task_id)}; the performer must echo task_id`,
        );
      }
      return response;
    }
  }
}
