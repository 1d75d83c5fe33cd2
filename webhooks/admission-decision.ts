// What a webhook decided about one object, and how that decision travels back to the apiserver.
import type { Operation } from "fast-json-patch";
import { errorsOf, formatProblem, type Problem, warningsOf } from "../src/api/problem.ts";
import type { AdmissionResponse } from "./admission-review.ts";

/** What a webhook decided about one object: allowed or not, the problems found, and the defaulting patch. */
export interface AdmissionDecision {
  /** False when any problem is an error. */
  allowed: boolean;
  /** Every error (each denies) and warning (shown to the user), with its field path. */
  problems: Problem[];
  /** RFC 6902 operations turning the object received into the object to store; empty when nothing changes. */
  patch: Operation[];
}

/** A decision from its problems and patch: denied when any problem is an error. */
export function decision(problems: Problem[], patch: Operation[] = []): AdmissionDecision {
  return { allowed: errorsOf(problems).length === 0, problems, patch };
}

/** The status code of a denial: the object is well-formed JSON that breaks a rule, as for apiserver validation. */
export const DENIED_STATUS = { code: 422, reason: "Invalid" } as const;

/** A decision as the AdmissionResponse the apiserver reads: errors in one message, warnings, base64 patch. */
export function decisionResponse(uid: string, d: AdmissionDecision): AdmissionResponse {
  const warnings = warningsOf(d.problems).map(formatProblem);
  const response: AdmissionResponse = { uid, allowed: d.allowed };
  if (!d.allowed) {
    // One message with every error, so that one `kubectl apply` tells the user everything to fix.
    response.status = { ...DENIED_STATUS, message: errorsOf(d.problems).map(formatProblem).join("; ") };
  } else if (d.patch.length > 0) {
    response.patchType = "JSONPatch";
    response.patch = Buffer.from(JSON.stringify(d.patch)).toString("base64");
  }
  if (warnings.length > 0) {
    response.warnings = warnings;
  }
  return response;
}
