// The Performer CustomResourceDefinition, built from the schema in performer-schema.ts. `make manifests` writes
// it to config/crd; a unit test fails when that file no longer matches.
import { PERFORMER_GROUP, PERFORMER_KIND, PERFORMER_PLURAL, PERFORMER_VERSION } from "./performer.ts";
import { PerformerSchema } from "./performer-schema.ts";
import { KUBERNETES_EXTENSIONS, PATTERN_DESCRIPTION } from "./schema-validation.ts";

/** A node of an openAPIV3Schema, with the JSON field names the apiserver reads. */
export type SchemaNode = { [keyword: string]: unknown };

/** One column of `kubectl get performers`. */
export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description: string;
  priority?: number;
}

/** An apiextensions.k8s.io/v1 CRD, as much of it as the Performer's needs. */
export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: SchemaNode };
      subresources: { status: Record<string, never> };
    }[];
  };
}

// The JSONSchemaProps fields of apiextensions.k8s.io/v1 that a structural schema may use. `default` is absent on
// purpose (defaults come from the mutating webhook), as are those the apiserver refuses ($ref, definitions,
// patternProperties, uniqueItems, additionalItems) and JSON Schema keywords it does not know (const).
const CRD_KEYWORDS = new Set([
  "description",
  "type",
  "format",
  "title",
  "enum",
  "minimum",
  "maximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "required",
  "nullable",
  "properties",
  "additionalProperties",
  "items",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  ...KUBERNETES_EXTENSIONS,
]);

// Meaningful to this program only: TypeBox's identifier and the validator's message hint.
const LEFT_OUT = new Set(["$id", PATTERN_DESCRIPTION]);

const printerColumns: PrinterColumn[] = [
  { name: "AVS", type: "string", jsonPath: ".spec.avsAddress", description: "Address of the AVS served" },
  { name: "Phase", type: "string", jsonPath: ".status.phase", description: "Lifecycle phase" },
  {
    name: "Ready",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: "Whether the performer takes tasks",
  },
  {
    name: "Endpoint",
    type: "string",
    jsonPath: ".status.endpoint",
    description: "Where executors reach the performer",
  },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Time since creation" },
  { name: "Image", type: "string", jsonPath: ".spec.image", description: "Performer image", priority: 1 },
  { name: "Version", type: "string", jsonPath: ".spec.version", description: "Image tag", priority: 1 },
];

/** The Performer CRD that `make manifests` writes to config/crd, from the one schema. */
export function performerCrd(): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${PERFORMER_PLURAL}.${PERFORMER_GROUP}` },
    spec: {
      group: PERFORMER_GROUP,
      names: {
        kind: PERFORMER_KIND,
        listKind: `${PERFORMER_KIND}List`,
        plural: PERFORMER_PLURAL,
        singular: PERFORMER_KIND.toLowerCase(),
        shortNames: ["perf"],
        categories: ["hourglass"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: PERFORMER_VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: printerColumns,
          schema: { openAPIV3Schema: crdSchema(PerformerSchema, "") },
          subresources: { status: {} },
        },
      ],
    },
  };
}

/**
 * `schema` as a CRD schema: only JSONSchemaProps fields, keys sorted (as controller-gen writes them, so diffs stay
 * small), TypeBox's symbol-keyed metadata gone. A keyword a CRD cannot carry throws, naming where it is.
 */
export function crdSchema(schema: object, path: string): SchemaNode {
  const node: SchemaNode = {};
  for (const [keyword, value] of Object.entries(schema).sort(byKey)) {
    if (LEFT_OUT.has(keyword)) {
      continue;
    }
    if (!CRD_KEYWORDS.has(keyword)) {
      throw new Error(`${path || "(root)"}: schema keyword "${keyword}" cannot be used in a CRD schema`);
    }
    node[keyword] = crdValue(keyword, value, path);
  }
  return node["x-kubernetes-int-or-string"] === true ? hoistIntOrStringRules(node) : node;
}

/**
 * The apiserver takes an int-or-string only as exactly `anyOf: [{type: integer}, {type: string}]`; rules that the
 * schema gives a branch (a string's maxLength) move up beside the anyOf, where they still apply to that type alone.
 */
function hoistIntOrStringRules(node: SchemaNode): SchemaNode {
  const branches = (node.anyOf as SchemaNode[] | undefined) ?? [];
  const hoisted: SchemaNode = { ...node, anyOf: branches.map((branch) => ({ type: branch.type })) };
  for (const branch of branches) {
    for (const [keyword, value] of Object.entries(branch)) {
      if (keyword !== "type") hoisted[keyword] = value;
    }
  }
  return Object.fromEntries(Object.entries(hoisted).sort(byKey));
}

// Code-unit order, independent of the machine's locale, so every run writes the same file.
function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function crdValue(keyword: string, value: unknown, path: string): unknown {
  switch (keyword) {
    case "properties":
      return Object.fromEntries(
        Object.entries(value as Record<string, object>)
          .sort(byKey)
          .map(([name, child]) => [name, crdSchema(child, path === "" ? name : `${path}.${name}`)]),
      );
    case "items":
      return crdSchema(value as object, `${path}[]`);
    case "additionalProperties":
      return typeof value === "boolean" ? value : crdSchema(value as object, `${path}[*]`);
    case "not":
      return crdSchema(value as object, path);
    case "allOf":
    case "anyOf":
    case "oneOf":
      return (value as object[]).map((branch) => crdSchema(branch, path));
    default:
      return value;
  }
}
