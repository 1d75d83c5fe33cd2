// admission.k8s.io/v1 AdmissionReview on the wire: reading what the apiserver sends (any bytes at all, since a
// webhook is an open HTTPS endpoint) and writing the review it expects back.
import { type Static, Type } from "@sinclair/typebox";
import { stringEnum } from "../src/api/performer-schema.ts";
import { formatProblem } from "../src/api/problem.ts";
import { compileValidator } from "../src/api/schema-validation.ts";
import { ADMISSION_FAILURES, type AdmissionFailure, admissionFailure } from "./admission-errors.ts";
import { MAX_REVIEW_DEPTH, nestsDeeperThan, parseExactJson } from "./review-json.ts";

/** The AdmissionReview version the webhooks are registered for and answer with. */
export const ADMISSION_API_VERSION = "admission.k8s.io/v1";
/** The kind of the object the apiserver sends and expects back. */
export const ADMISSION_REVIEW_KIND = "AdmissionReview";

const GroupVersionResourceSchema = Type.Object({
  group: Type.String({ description: "API group; empty for the core group." }),
  version: Type.String({ description: "API version." }),
  resource: Type.String({ description: "Plural resource name." }),
});

const AdmissionRequestSchema = Type.Object({
  uid: Type.String({ description: "Identifies this call; echoed in the response.", minLength: 1 }),
  kind: Type.Object({
    group: Type.String({ description: "API group of the object." }),
    version: Type.String({ description: "API version of the object." }),
    kind: Type.String({ description: "Kind of the object." }),
  }),
  resource: GroupVersionResourceSchema,
  subResource: Type.Optional(Type.String({ description: "Subresource, such as status." })),
  name: Type.Optional(Type.String({ description: "Name of the object; may be empty on CREATE." })),
  namespace: Type.Optional(Type.String({ description: "Namespace of the object." })),
  operation: stringEnum(["CREATE", "UPDATE", "DELETE", "CONNECT"], {
    description: "What is being done to the object.",
  }),
  object: Type.Optional(Type.Unknown({ description: "The object as it would be stored; null on DELETE." })),
  oldObject: Type.Optional(
    Type.Unknown({ description: "The object as stored before; on UPDATE and DELETE." }),
  ),
  dryRun: Type.Optional(Type.Boolean({ description: "Whether nothing will be persisted." })),
  userInfo: Type.Optional(
    Type.Object({
      username: Type.Optional(Type.String({ description: "Who asked for the change." })),
      uid: Type.Optional(Type.String({ description: "The user's unique id." })),
      groups: Type.Optional(Type.Array(Type.String(), { description: "The user's groups." })),
      extra: Type.Optional(
        Type.Record(Type.String(), Type.Array(Type.String()), {
          description: "What the authenticator said besides (scopes, a token's node).",
        }),
      ),
    }),
  ),
});

const AdmissionReviewRequestSchema = Type.Object({
  apiVersion: stringEnum([ADMISSION_API_VERSION], { description: "Version of the review." }),
  kind: stringEnum([ADMISSION_REVIEW_KIND], { description: "Kind of the review." }),
  request: AdmissionRequestSchema,
});

/** The request part of an AdmissionReview, as far as the webhooks read it (validated, not trusted). */
export type AdmissionRequest = Static<typeof AdmissionRequestSchema>;
/** The resource a review is about, as AdmissionRequest.resource names it. */
export type GroupVersionResource = Static<typeof GroupVersionResourceSchema>;

/** metav1.Status, as much of it as a webhook answer carries. */
export interface AdmissionStatus {
  code: number;
  message: string;
  reason?: string;
}

/** The response part of an AdmissionReview: the verdict, and a patch or warnings. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  /** Base64 of an RFC 6902 JSON Patch. */
  patch?: string;
  patchType?: "JSONPatch";
  warnings?: string[];
}

/** The AdmissionReview a webhook answers with. */
export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: typeof ADMISSION_REVIEW_KIND;
  response: AdmissionResponse;
}

const reviewProblems = compileValidator(AdmissionReviewRequestSchema);

/** A review's request, or why the body holds none, with the uid salvaged for the answer. */
export type DecodedReview = { request: AdmissionRequest } | { failure: AdmissionFailure; uid: string };

/**
 * The AdmissionRequest in an HTTP body, or why there is none. `uid` is whatever could be salvaged for the
 * answer (empty when the body is not JSON), since the apiserver matches answers to calls by it.
 */
export function decodeAdmissionReview(contentType: string | undefined, body: string): DecodedReview {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    return failed(
      ADMISSION_FAILURES.contentType,
      `content type ${JSON.stringify(contentType ?? "")} is not supported; send application/json`,
    );
  }
  if (body.length === 0) {
    return failed(
      ADMISSION_FAILURES.emptyBody,
      `the body is empty; send an ${ADMISSION_API_VERSION} AdmissionReview`,
    );
  }
  if (nestsDeeperThan(body, MAX_REVIEW_DEPTH)) {
    return failed(
      ADMISSION_FAILURES.tooDeep,
      `the body nests objects or lists deeper than ${MAX_REVIEW_DEPTH} levels; no Kubernetes object needs that`,
      leadingUid(body),
    );
  }
  let review: unknown;
  try {
    review = parseExactJson(body);
  } catch (e) {
    return failed(ADMISSION_FAILURES.malformedJson, `the body is not valid JSON: ${(e as Error).message}`);
  }
  const problems = reviewProblems(review);
  if (problems.length > 0) {
    const uid = (review as { request?: { uid?: unknown } } | null)?.request?.uid;
    return failed(
      ADMISSION_FAILURES.notAReview,
      `the body is not an ${ADMISSION_API_VERSION} AdmissionReview with a request: ${problems.map(formatProblem).join("; ")}`,
      typeof uid === "string" ? uid : "",
    );
  }
  return { request: (review as Static<typeof AdmissionReviewRequestSchema>).request };
}

/**
 * The uid of a review that is not parsed: the apiserver writes `request` with `uid` as its first field, so it is
 * found near the start, and the apiserver can match the denial to its call instead of failing on a uid mismatch.
 */
function leadingUid(body: string): string {
  const head = body.slice(0, 1024);
  return /"request"\s*:\s*\{\s*"uid"\s*:\s*"([A-Za-z0-9-]{1,128})"/.exec(head)?.[1] ?? "";
}

function failed(kind: AdmissionFailure["kind"], message: string, uid = ""): DecodedReview {
  return { failure: admissionFailure(kind, message), uid };
}

/** The review answering a call that could not be decided. */
export function failureResponse(uid: string, failure: AdmissionFailure): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: { code: failure.kind.status, reason: failure.kind.reason, message: failure.message },
  };
}

/** The AdmissionReview that carries a response back to the apiserver. */
export function admissionReview(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_REVIEW_KIND, response };
}
