// JSON Schema validation that reports Problems a user can act on: each names the field by its dotted path
// (`spec.config.env[2].name`) and says what the value must be, instead of ajv's `/spec/config/env/2 must have
// required property 'name'`. Used for Performers and for the executor config alike.
import { Ajv, type AnySchemaObject, type ErrorObject } from "ajv";
import { error, type Problem, shown } from "./problem.ts";

/**
 * Schema annotation: what a `pattern` means, in words (`0x followed by 40 hex digits`), for the message when a
 * value does not match. Not part of a CRD schema; crd.ts leaves it out.
 */
export const PATTERN_DESCRIPTION = "x-pattern-description";

/** Kubernetes' OpenAPI extensions. They steer the apiserver (pruning, list merging, int-or-string) and change
 * nothing about what a value must look like, so ajv only needs to know they are not typos. */
export const KUBERNETES_EXTENSIONS = [
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
];

const FORMATS: Record<string, { validate: (value: string) => boolean; expected: string }> = {
  // metav1.Time on the wire: RFC 3339 with seconds.
  "date-time": {
    validate: (value) =>
      /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) &&
      !Number.isNaN(Date.parse(value)),
    expected: "an RFC 3339 time such as 2026-01-02T15:04:05Z",
  },
};

// verbose: errors carry the failing schema node and value, from which the messages below are written.
const ajv = new Ajv({ strict: true, allErrors: true, verbose: true });
ajv.addVocabulary([...KUBERNETES_EXTENSIONS, PATTERN_DESCRIPTION]);
for (const [name, format] of Object.entries(FORMATS)) {
  ajv.addFormat(name, { type: "string", validate: format.validate });
}

/** Checks a value against a schema and says every problem, each at its dotted path. */
export type Validator = (value: unknown, basePath?: string) => Problem[];

/** A validator for `schema`; its problems' paths start at `basePath` (e.g. `spec` when given a Performer's spec). */
export function compileValidator(schema: AnySchemaObject): Validator {
  const validate = ajv.compile(schema);
  return (value, basePath = "") => {
    if (validate(value)) {
      return [];
    }
    return problemsFrom(validate.errors ?? [], value, basePath);
  };
}

/** `parent.key`, `parent[3]` for a list index, `parent[nvidia.com/gpu]` for a key that is not a plain name. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number" || !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) {
    return `${parent}[${key}]`;
  }
  return parent === "" ? key : `${parent}.${key}`;
}

function problemsFrom(errors: readonly ErrorObject[], value: unknown, basePath: string): Problem[] {
  // A value that fits no branch of an anyOf fails every branch too; one problem about the whole says it better,
  // unless the value has a branch's type and breaks one of its other rules (a string too long): that rule says it.
  const anyOfs = errors.filter((e) => e.keyword === "anyOf").map((e) => `${e.schemaPath}/`);
  const branchOf = (e: ErrorObject) => anyOfs.find((prefix) => e.schemaPath.startsWith(prefix));
  const brokeARule = new Set(errors.filter((e) => e.keyword !== "type").map(branchOf));
  const skipped = (e: ErrorObject) => {
    const branch = branchOf(e);
    return branch === undefined
      ? e.keyword === "anyOf" && brokeARule.has(`${e.schemaPath}/`)
      : e.keyword === "type" || !brokeARule.has(branch);
  };
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    if (skipped(e)) {
      continue;
    }
    const problem = problemFrom(e, fieldPath(e.instancePath, value, basePath));
    const key = `${problem.path}\n${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** The JSON pointer ajv reports, as a field path; the value tells list indexes from map keys that are digits. */
function fieldPath(pointer: string, value: unknown, basePath: string): string {
  let path = basePath;
  let node = value;
  for (const raw of pointer.split("/").slice(1)) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) {
      path = childPath(path, Number(segment));
      node = node[Number(segment)];
    } else {
      path = childPath(path, segment);
      node = (node as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return path;
}

function problemFrom(e: ErrorObject, path: string): Problem {
  const schema = e.parentSchema ?? {};
  const got = ` (got ${shown(e.data)})`;
  switch (e.keyword) {
    case "required":
      return error(childPath(path, e.params.missingProperty), "is required");
    case "additionalProperties": {
      const field = childPath(path, e.params.additionalProperty);
      const known = Object.keys(schema.properties ?? {});
      return known.length === 0
        ? error(field, "is not allowed here: this object takes no fields")
        : error(field, `is not a known field; known fields: ${known.join(", ")}`);
    }
    case "type":
    case "minimum":
    case "maximum":
    case "enum":
    case "anyOf":
      return error(path, `must be ${expected(schema)}${got}`);
    case "pattern":
      return error(
        path,
        `must match ${schema[PATTERN_DESCRIPTION] ?? `the pattern ${schema.pattern}`}${got}`,
      );
    case "format":
      return error(path, `must be ${FORMATS[schema.format]?.expected ?? `in ${schema.format} format`}${got}`);
    case "minLength":
      return error(
        path,
        schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters long`,
      );
    case "maxLength":
      return error(path, `must be at most ${schema.maxLength} characters long`);
    case "minItems":
      return error(path, `must have at least ${schema.minItems} item(s)`);
    case "maxItems":
      return error(path, `must have at most ${schema.maxItems} item(s)`);
    default:
      return error(path, e.message ?? `fails the ${e.keyword} rule`);
  }
}

/** What a schema node accepts, in words: `an integer from 1 to 65535`, `one of: http, grpc, tcp`. */
function expected(schema: AnySchemaObject): string {
  if (Array.isArray(schema.enum)) {
    return `one of: ${schema.enum.join(", ")}`;
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    return "an integer or a string";
  }
  if (Array.isArray(schema.anyOf)) {
    return schema.anyOf.map(expected).join(" or ");
  }
  switch (schema.type) {
    case "integer":
      return `an integer${range(schema)}`;
    case "number":
      return `a number${range(schema)}`;
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "an object";
    default:
      return `of type ${schema.type}`;
  }
}

function range(schema: AnySchemaObject): string {
  const { minimum, maximum } = schema;
  if (minimum !== undefined && maximum !== undefined) {
    return ` from ${minimum} to ${maximum}`;
  }
  if (minimum !== undefined) {
    return ` of at least ${minimum}`;
  }
  return maximum === undefined ? "" : ` of at most ${maximum}`;
}
