// Why an AdmissionReview could not be decided at all, as opposed to a decision that denies. Each failure keeps a
// stable code (for logs and alerts) and the HTTP-style status that the answer's `status.code` carries; the HTTP
// response itself is still 200, because the apiserver only reads `response` from a 200.
/** One way a review can fail to be decided: its stable code, and the status and reason its answer carries. */
export interface AdmissionFailureKind {
  code: string;
  status: number;
  /** metav1.StatusReason for `status.reason`. */
  reason: string;
}

/** Every way a review can fail to be decided, by kind; a code never changes once alerts may match on it. */
export const ADMISSION_FAILURES = {
  contentType: { code: "HG_ERR_ADMISSION_CONTENT_TYPE", status: 400, reason: "BadRequest" },
  emptyBody: { code: "HG_ERR_ADMISSION_EMPTY_BODY", status: 400, reason: "BadRequest" },
  malformedJson: { code: "HG_ERR_ADMISSION_MALFORMED_JSON", status: 400, reason: "BadRequest" },
  tooDeep: { code: "HG_ERR_ADMISSION_TOO_DEEP", status: 400, reason: "BadRequest" },
  notAReview: { code: "HG_ERR_ADMISSION_NOT_A_REVIEW", status: 400, reason: "BadRequest" },
  wrongResource: { code: "HG_ERR_ADMISSION_WRONG_RESOURCE", status: 400, reason: "BadRequest" },
  badRequest: { code: "HG_ERR_ADMISSION_BAD_REQUEST", status: 400, reason: "BadRequest" },
  bodyTooLarge: { code: "HG_ERR_ADMISSION_BODY_TOO_LARGE", status: 413, reason: "RequestEntityTooLarge" },
  lookupFailed: { code: "HG_ERR_ADMISSION_LOOKUP_FAILED", status: 503, reason: "ServiceUnavailable" },
  internal: { code: "HG_ERR_ADMISSION_INTERNAL", status: 500, reason: "InternalError" },
} as const satisfies Record<string, AdmissionFailureKind>;

/** A review that could not be decided: which failure, and a message saying what to do. */
export interface AdmissionFailure {
  kind: AdmissionFailureKind;
  message: string;
}

/** An AdmissionFailure of a kind, with its message. */
export function admissionFailure(kind: AdmissionFailureKind, message: string): AdmissionFailure {
  return { kind, message };
}
