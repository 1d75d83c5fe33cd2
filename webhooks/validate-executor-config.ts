// The validating decision for a ConfigMap holding an executor config (label
// hourglass.eigenlayer.io/executor-config=true, key config.yaml): the same checks as `hourglass-executor validate`,
// with each problem's YAML path placed under the ConfigMap key it came from.
import { parseExecutorConfig } from "../src/api/executor-config.ts";
import { LABEL_EXECUTOR_CONFIG } from "../src/api/performer.ts";
import { error, type Problem } from "../src/api/problem.ts";
import { childPath } from "../src/api/schema-validation.ts";
import { type AdmissionDecision, decision } from "./admission-decision.ts";
import type { AdmissionRequest } from "./admission-review.ts";

/** The ConfigMap key an executor config is read from. */
export const EXECUTOR_CONFIG_KEY = "config.yaml";
const KEY_PATH = childPath("data", EXECUTOR_CONFIG_KEY);

/** The validating decision on a labelled ConfigMap: the executor config's checks, under the ConfigMap key. */
export function validateExecutorConfig(request: AdmissionRequest): AdmissionDecision {
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") {
    return decision([]);
  }
  const object = request.object as { metadata?: { labels?: Record<string, unknown> }; data?: unknown } | null;
  // The apiserver also sends an UPDATE whose old object alone carries the label: the one that takes it off,
  // which is what the message below asks for, and which must therefore pass.
  if (object?.metadata?.labels?.[LABEL_EXECUTOR_CONFIG] !== "true") {
    return decision([]);
  }
  const data = object.data;
  const text =
    data !== null && typeof data === "object"
      ? (data as Record<string, unknown>)[EXECUTOR_CONFIG_KEY]
      : undefined;
  if (typeof text !== "string") {
    return decision([
      error(
        KEY_PATH,
        "is required: put the executor's YAML config under the key config.yaml, or remove the label " +
          `${LABEL_EXECUTOR_CONFIG} from this ConfigMap`,
      ),
    ]);
  }
  return decision(parseExecutorConfig(text).problems.map(underKey));
}

/** `data[config.yaml].<YAML path>`; problems about the whole document (`(yaml)`, `(document)`) name the key. */
function underKey(problem: Problem): Problem {
  const whole = problem.path === "" || problem.path.startsWith("(");
  return { ...problem, path: whole ? KEY_PATH : `${KEY_PATH}.${problem.path}` };
}
