// Rules on what becomes the performer's container: its image and its environment. They run beside the schema
// check, on input that may be malformed elsewhere, so each looks at the types it relies on before using them.

import { isImageTag, parseImageReference } from "../src/api/image-reference.ts";
import type { PerformerSpec } from "../src/api/performer.ts";
import { error, type Problem, shown, warning } from "../src/api/problem.ts";
import { childPath } from "../src/api/schema-validation.ts";

/** spec.image and spec.version: valid references, and a warning when what runs is not pinned. */
export function imageProblems(spec: Partial<PerformerSpec>): Problem[] {
  if (typeof spec.image !== "string") {
    return [];
  }
  const parsed = parseImageReference(spec.image);
  if ("invalid" in parsed) {
    return [error("spec.image", parsed.invalid)];
  }
  const problems: Problem[] = [];
  const version = typeof spec.version === "string" ? spec.version : undefined;
  if (version !== undefined && !isImageTag(version)) {
    problems.push(
      error(
        "spec.version",
        `must be an image tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-' (got ${shown(version)})`,
      ),
    );
  }
  if (version !== undefined && (parsed.tag !== undefined || parsed.digest !== undefined)) {
    problems.push(
      warning(
        "spec.version",
        `is ignored because spec.image carries its own ${parsed.digest ? "digest" : "tag"}; set one or the other`,
      ),
    );
  }
  const tag = parsed.tag ?? version;
  if (parsed.digest === undefined && (tag === undefined || tag === "latest")) {
    problems.push(
      warning(
        "spec.image",
        `${tag === undefined ? "has no tag, so :latest is pulled" : "uses :latest"}; ` +
          "pin spec.version or a digest so that every restart runs the same performer",
      ),
    );
  }
  return problems;
}

// Kubernetes' rule for environment variable names (IsEnvVarName).
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const VALUE_SOURCES = ["secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef", "fileKeyRef"];

/** spec.config.env: names Kubernetes accepts, each once, and one source per variable. */
export function envProblems(spec: Partial<PerformerSpec>): Problem[] {
  const env: unknown = spec.config?.env;
  if (!Array.isArray(env)) {
    return [];
  }
  const problems: Problem[] = [];
  const firstIndexOf = new Map<string, number>();
  env.forEach((variable: unknown, index) => {
    if (variable === null || typeof variable !== "object") {
      return;
    }
    const path = childPath("spec.config.env", index);
    const { name, value, valueFrom } = variable as Record<string, unknown>;
    if (typeof name === "string") {
      if (!ENV_NAME.test(name)) {
        problems.push(
          error(
            childPath(path, "name"),
            `${shown(name)} is not a valid environment variable name: use letters, digits, '_', '-' or '.', ` +
              "not starting with a digit (e.g. MY_ENV.NAME, my-env, MyEnv1)",
          ),
        );
      }
      const first = firstIndexOf.get(name);
      if (first === undefined) {
        firstIndexOf.set(name, index);
      } else {
        problems.push(
          error(
            childPath(path, "name"),
            `duplicate name ${shown(name)}, already set at ${childPath("spec.config.env", first)}; keep one`,
          ),
        );
      }
    }
    if (valueFrom !== undefined && valueFrom !== null && typeof valueFrom === "object") {
      if (typeof value === "string" && value !== "") {
        problems.push(error(path, "sets both value and valueFrom; keep one"));
      }
      const sources = VALUE_SOURCES.filter((s) => (valueFrom as Record<string, unknown>)[s] !== undefined);
      if (sources.length !== 1) {
        problems.push(
          error(
            childPath(path, "valueFrom"),
            `must set exactly one of ${VALUE_SOURCES.join(", ")}${sources.length > 1 ? ` (got ${sources.join(", ")})` : ""}`,
          ),
        );
      }
    }
  });
  return problems;
}
