// The validating decision for a Performer: every problem at once, each with its field path. Pure: the namespace's
// executor config and the AVS's other Performers come in as data.
import { isDeepStrictEqual } from "node:util";
import { PerformerSchema } from "../src/api/performer-schema.ts";
import { error, type Problem, shown } from "../src/api/problem.ts";
import { resourceProblems } from "../src/api/resource-rules.ts";
import { compileValidator } from "../src/api/schema-validation.ts";
import { type AdmissionDecision, decision } from "./admission-decision.ts";
import type { AdmissionRequest } from "./admission-review.ts";
import { type AccessVerdict, accessProblems } from "./performer-access-rules.ts";
import { envProblems, imageProblems } from "./performer-container-rules.ts";
import { type DeploymentModeFacts, deploymentModeProblems } from "./performer-deployment-mode-rules.ts";

/** What validating a Performer needs of the cluster: deployment-mode facts and the user's rights. */
export type PerformerFacts = DeploymentModeFacts & {
  /** The authorizer's answers about the rights the spec would use (permissionsNeeded), and whose they are. */
  access?: { username?: string; verdicts: AccessVerdict[] };
};

const structureProblems = compileValidator(PerformerSchema);

/**
 * An UPDATE that leaves the spec as it was (labels, annotations, finalizers), or of a Performer being deleted, is
 * not checked again: a rule or an executor config that changed since the Performer was admitted must not stop
 * its metadata from changing, nor the garbage collector from removing a finalizer so that it can go.
 */
export function isExemptUpdate(request: AdmissionRequest): boolean {
  if (request.operation !== "UPDATE") return false;
  const object = request.object as { metadata?: { deletionTimestamp?: unknown }; spec?: unknown } | null;
  const old = request.oldObject as { spec?: unknown } | null | undefined;
  return (
    Boolean(object?.metadata?.deletionTimestamp) || (old != null && isDeepStrictEqual(object?.spec, old.spec))
  );
}

/** The validating webhook's decision on a Performer: every problem at once, each at its field path. */
export function validatePerformer(request: AdmissionRequest, facts: PerformerFacts): AdmissionDecision {
  if ((request.operation !== "CREATE" && request.operation !== "UPDATE") || isExemptUpdate(request)) {
    return decision([]);
  }
  const object = request.object;
  const problems = structureProblems(object);
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    return decision(problems.length > 0 ? problems : [error("object", "must be a Performer object")]);
  }
  const { metadata, spec } = object as { metadata?: { name?: unknown }; spec?: unknown };
  const name =
    typeof metadata?.name === "string" && metadata.name !== "" ? metadata.name : (request.name ?? "");
  problems.push(...nameProblems(name));
  if (spec !== null && typeof spec === "object" && !Array.isArray(spec)) {
    problems.push(
      ...imageProblems(spec),
      ...envProblems(spec),
      ...resourceProblems((spec as { resources?: unknown }).resources, "spec.resources", {
        warnUncapped: true,
      }),
      ...deploymentModeProblems(name, spec, facts),
      ...accessProblems(facts.access?.username, facts.access?.verdicts ?? []),
    );
  }
  return decision(problems);
}

// The controller names the Performer's Service `performer-<name>`, and a Service name is a DNS-1035 label.
const SERVICE_PREFIX_LENGTH = "performer-".length;
const MAX_NAME_LENGTH = 63 - SERVICE_PREFIX_LENGTH;
const DNS_1035_LABEL_TAIL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function nameProblems(name: string): Problem[] {
  // With generateName the name is chosen after admission; the apiserver checks its length then.
  if (name === "") {
    return [];
  }
  if (name.length > MAX_NAME_LENGTH || !DNS_1035_LABEL_TAIL.test(name)) {
    return [
      error(
        "metadata.name",
        `must be at most ${MAX_NAME_LENGTH} lowercase letters, digits or '-', starting and ending with a letter or ` +
          `digit, so that its Service performer-${name.length > 20 ? `${name.slice(0, 20)}...` : name} is a valid DNS name ` +
          `(got ${shown(name)})`,
      ),
    ];
  }
  return [];
}
