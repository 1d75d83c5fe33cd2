// The HTTP side of admission: one POST route per webhook, each answering every call with HTTP 200 and an
// AdmissionReview that echoes the request's uid. The apiserver reads only `response` from a 200; any other status
// becomes an opaque "failed calling webhook" for the user, so even unreadable input is answered in a review.
import type { ServerOptions } from "node:https";
import {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  fastify,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import { errorLogFields } from "../src/kube/api-errors.ts";
import { type AdmissionDecision, decisionResponse } from "./admission-decision.ts";
import { ADMISSION_FAILURES, type AdmissionFailure, admissionFailure } from "./admission-errors.ts";
import { AdmissionLookupError } from "./admission-facts.ts";
import {
  type AdmissionRequest,
  type AdmissionResponse,
  admissionReview,
  decodeAdmissionReview,
  failureResponse,
  type GroupVersionResource,
} from "./admission-review.ts";
import type { WebhookMetrics } from "./webhook-metrics.ts";

/**
 * What the apiserver may send: an object plus its old version (each at most etcd's 1.5 MiB and the apiserver's
 * 3 MiB request limit) with room for the review around them; controller-runtime allows the same.
 */
export const MAX_REVIEW_BYTES = 7 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

/** One admission webhook: its path, the resource it admits, and its decision. */
export interface Webhook {
  /** Its URL path, also its `webhook` label in metrics and logs. */
  path: string;
  /** The resource its configuration registers it for; a review about anything else is refused. */
  resource: Pick<GroupVersionResource, "group" | "resource">;
  /** The decision on `request`; `signal` aborts when the apiserver that asked has gone (its lookups stop). */
  decide(request: AdmissionRequest, signal?: AbortSignal): Promise<AdmissionDecision>;
}

/** The webhooks an admission app serves, with its metrics, logger and TLS credentials. */
export interface AdmissionAppOptions {
  webhooks: readonly Webhook[];
  metrics: WebhookMetrics;
  logger: Logger;
  /** Serve HTTPS with these credentials; plain HTTP when absent (tests through inject()). */
  https?: ServerOptions;
}

/** The fastify app that answers every AdmissionReview POSTed to a webhook's path, with HTTP 200 and a review. */
export function admissionApp(options: AdmissionAppOptions): FastifyInstance {
  const { metrics, logger } = options;
  const app = fastify({
    loggerInstance: logger,
    // Each decision is logged once, below; fastify's per-request lines would double them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_REVIEW_BYTES,
    // The apiserver gives a webhook at most 30 s (timeoutSeconds); a client still sending after that is not the
    // apiserver, and must not hold a connection and a partial body for as long as it likes.
    requestTimeout: REQUEST_TIMEOUT_MS,
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;

  // Bodies are taken as text whatever their content type, so that decodeAdmissionReview, not fastify's 415
  // or JSON errors, decides how bad input is answered. Text, not a Buffer: a Buffer of megabytes is malloc'd
  // outside V8's heap, and under load glibc keeps such memory long after it is freed, where V8 returns its own.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

  for (const webhook of options.webhooks) {
    app.post(webhook.path, async (request, reply) => {
      const started = performance.now();
      // The apiserver gave up on this review (its timeout, a closed connection): nobody waits for its lookups.
      const gone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) gone.abort(new Error("the review's connection closed"));
      };
      reply.raw.once("close", onClose);
      const answer = await answerReview(webhook, request, gone.signal).finally(() =>
        reply.raw.off("close", onClose),
      );
      const code = answer.response.status?.code ?? 200;
      metrics.latencySeconds.observe({ webhook: webhook.path }, (performance.now() - started) / 1000);
      metrics.requestsTotal.inc({ webhook: webhook.path, code: String(code) });
      logDecision(logger, webhook.path, answer, code, performance.now() - started);
      return sendReview(reply, answer.response);
    });
  }

  // Errors fastify raises before a handler runs (a body over the limit, a broken stream) are answered as reviews too.
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const failure =
      err.statusCode === 413
        ? admissionFailure(
            ADMISSION_FAILURES.bodyTooLarge,
            `the body is larger than ${MAX_REVIEW_BYTES} bytes; the apiserver never sends reviews this large`,
          )
        : err.statusCode !== undefined && err.statusCode < 500
          ? admissionFailure(ADMISSION_FAILURES.badRequest, `the request could not be read: ${err.message}`)
          : admissionFailure(ADMISSION_FAILURES.internal, `the webhook failed: ${err.message}`);
    const webhook = request.routeOptions.url ?? request.url;
    metrics.requestsTotal.inc({ webhook, code: String(failure.kind.status) });
    logger.info(
      { webhook, code: failure.kind.status, error: failure.kind.code, ...errorLogFields(err) },
      "denied",
    );
    return sendReview(reply, failureResponse("", failure));
  });
  return app;
}

interface Answer {
  request?: AdmissionRequest;
  failure?: AdmissionFailure;
  decision?: AdmissionDecision;
  /** An exception from the webhook itself: a bug, logged with its stack. */
  crash?: Error;
  response: AdmissionResponse;
}

async function answerReview(webhook: Webhook, http: FastifyRequest, signal: AbortSignal): Promise<Answer> {
  const body = typeof http.body === "string" ? http.body : "";
  const decoded = decodeAdmissionReview(http.headers["content-type"], body);
  if ("failure" in decoded) {
    return { failure: decoded.failure, response: failureResponse(decoded.uid, decoded.failure) };
  }
  const { request } = decoded;
  const { group, resource } = request.resource;
  if (group !== webhook.resource.group || resource !== webhook.resource.resource) {
    const failure = admissionFailure(
      ADMISSION_FAILURES.wrongResource,
      `${webhook.path} admits ${resourceName(webhook.resource)}, not ${resourceName(request.resource)}; ` +
        "fix the rules of the webhook configuration that sent it",
    );
    return { request, failure, response: failureResponse(request.uid, failure) };
  }
  try {
    const decision = await webhook.decide(request, signal);
    return { request, decision, response: decisionResponse(request.uid, decision) };
  } catch (err) {
    if (err instanceof AdmissionLookupError) {
      const failure = admissionFailure(ADMISSION_FAILURES.lookupFailed, `${err.message}; try again`);
      return { request, failure, response: failureResponse(request.uid, failure) };
    }
    const crash = err as Error;
    const failure = admissionFailure(ADMISSION_FAILURES.internal, `the webhook failed: ${crash.message}`);
    return { request, failure, crash, response: failureResponse(request.uid, failure) };
  }
}

function resourceName(r: Pick<GroupVersionResource, "group" | "resource">): string {
  return r.group === "" ? r.resource : `${r.resource}.${r.group}`;
}

function sendReview(reply: FastifyReply, response: AdmissionResponse): FastifyReply {
  return reply.code(200).type("application/json").send(admissionReview(response));
}

/** One line per decision: debug when allowed, info when denied or unreadable, error when the webhook crashed. */
function logDecision(logger: Logger, webhook: string, answer: Answer, code: number, millis: number): void {
  const { request, decision, failure, crash, response } = answer;
  const fields = {
    webhook,
    uid: response.uid,
    operation: request?.operation,
    namespace: request?.namespace,
    name: request?.name,
    allowed: response.allowed,
    code,
    ...(failure ? { error: failure.kind.code } : {}),
    ...(decision ? { patchOperations: decision.patch.length, warnings: response.warnings?.length ?? 0 } : {}),
    durationMs: Math.round(millis * 10) / 10,
  };
  if (response.allowed) {
    logger.debug(fields, "admitted");
  } else if (crash) {
    logger.error({ ...fields, err: crash }, "the webhook failed");
  } else {
    logger.info({ ...fields, reason: cutShort(response.status?.message ?? "") }, "denied");
  }
}

/** Log lines stay bounded whatever the input: a denial listing thousands of problems keeps its first 2 KiB. */
const MAX_LOGGED_REASON = 2048;

function cutShort(text: string): string {
  return text.length <= MAX_LOGGED_REASON
    ? text
    : `${text.slice(0, MAX_LOGGED_REASON)}... (${text.length} characters)`;
}
