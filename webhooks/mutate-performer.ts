// The mutating decision for a Performer: the RFC 6902 diff between the object received and the object with its
// defaults. It never denies; an object too malformed to default is left to the validating webhook.
import jsonPatch from "fast-json-patch";
import { defaultResourcesFor } from "../src/api/executor-config.ts";
import { OPERATOR_DEFAULTS, type PerformerDefaults } from "../src/api/performer-defaults.ts";
import { type AdmissionDecision, decision } from "./admission-decision.ts";
import type { NamespaceExecutorConfig } from "./admission-facts.ts";
import type { AdmissionRequest } from "./admission-review.ts";
import { performerWithDefaults, resourceDefaults } from "./performer-defaulting.ts";

/** What defaulting a Performer needs of the cluster: its namespace's executor config. */
export interface MutationFacts {
  executorConfig?: NamespaceExecutorConfig;
}

/** The mutating webhook's decision: the JSON Patch that fills in a Performer's defaults; never a denial. */
export function mutatePerformer(request: AdmissionRequest, facts: MutationFacts): AdmissionDecision {
  const object = request.object;
  if (
    (request.operation !== "CREATE" && request.operation !== "UPDATE") ||
    object === null ||
    typeof object !== "object" ||
    Array.isArray(object)
  ) {
    return decision([]);
  }
  const avsAddress = (object as { spec?: { avsAddress?: unknown } }).spec?.avsAddress;
  const defaults = performerDefaults(
    facts.executorConfig,
    typeof avsAddress === "string" ? avsAddress : undefined,
  );
  const defaulted = performerWithDefaults(object as Record<string, unknown>, defaults);
  // compare() escapes '/' and '~' in keys (the label keys), as RFC 6901 requires.
  return decision([], jsonPatch.compare(object, defaulted));
}

/** The namespace's executor config's default_resources (its AVS's first) over the operator's (see resourceDefaults). */
export function performerDefaults(
  executor: NamespaceExecutorConfig | undefined,
  avsAddress: string | undefined,
): PerformerDefaults {
  const fromConfig =
    executor && avsAddress !== undefined ? defaultResourcesFor(executor.config, avsAddress) : undefined;
  return { ...resourceDefaults(fromConfig), grpcPort: OPERATOR_DEFAULTS.grpcPort };
}
