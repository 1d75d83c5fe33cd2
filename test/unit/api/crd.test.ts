import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Type } from "@sinclair/typebox";
import { parse } from "yaml";
import { crdSchema, performerCrd, type SchemaNode } from "../../../src/api/crd.ts";
import { MAX_QUANTITY_LENGTH } from "../../../src/api/quantity.ts";

const CRD_DIR = join(import.meta.dirname, "../../../config/crd");
const CRD_FILE = "hourglass.eigenlayer.io_performers.yaml";

const crd = performerCrd();
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;

// The JSON field names of apiextensions.k8s.io/v1 JSONSchemaProps that a CRD may carry.
const JSON_SCHEMA_PROPS = new Set([
  "description",
  "type",
  "format",
  "title",
  "enum",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
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
  "example",
  "externalDocs",
  "x-kubernetes-int-or-string",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);
const JUNCTORS = ["allOf", "anyOf", "oneOf", "not"] as const;
// Rule 3 of a structural schema: a logical junctor may only restrict values, not declare them.
const NOT_IN_JUNCTORS = ["description", "type", "default", "additionalProperties", "nullable"];

const isIntOrStringPattern = (node: SchemaNode) =>
  node["x-kubernetes-int-or-string"] === true &&
  JSON.stringify(node.anyOf) === JSON.stringify([{ type: "integer" }, { type: "string" }]);

/**
 * What makes `node` unacceptable to the apiserver as (part of) a structural CRD schema, following the rules in
 * the Kubernetes documentation ("Specifying a structural schema") and apiextensions validation.
 */
function structuralViolations(node: SchemaNode, path: string, inJunctor = false): string[] {
  const found: string[] = [];
  const say = (what: string) => found.push(`${path || "(root)"}: ${what}`);
  if (Object.getOwnPropertySymbols(node).length > 0) say("carries symbol-keyed properties");
  for (const key of Object.keys(node)) {
    if (!JSON_SCHEMA_PROPS.has(key)) say(`"${key}" is not a JSONSchemaProps field`);
  }
  if ("default" in node) say("has a default (defaults belong to the mutating webhook)");
  if (node.uniqueItems === true) say("sets uniqueItems");
  const exempt =
    node["x-kubernetes-int-or-string"] === true || node["x-kubernetes-preserve-unknown-fields"] === true;
  if (!inJunctor && !exempt && typeof node.type !== "string") say("has no type");
  if (node["x-kubernetes-int-or-string"] === true && node.type !== undefined)
    say("is int-or-string and typed");
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    say("has both properties and additionalProperties");
  }
  if (inJunctor) {
    for (const key of NOT_IN_JUNCTORS) if (key in node) say(`sets ${key} inside a logical junctor`);
  }
  for (const junctor of JUNCTORS) {
    if (node[junctor] === undefined || isIntOrStringPattern(node)) continue;
    const branches = (junctor === "not" ? [node.not] : node[junctor]) as SchemaNode[];
    branches.forEach((branch, i) => {
      found.push(...structuralViolations(branch, `${path}.${junctor}[${i}]`, true));
      for (const name of Object.keys((branch.properties as object | undefined) ?? {})) {
        if (!(name in ((node.properties as object | undefined) ?? {}))) {
          say(`${junctor}[${i}] declares ${name}, which is not declared outside it`);
        }
      }
    });
  }
  if (node["x-kubernetes-list-type"] === "map") {
    const items = node.items as SchemaNode | undefined;
    const required = (items?.required as string[] | undefined) ?? [];
    for (const key of (node["x-kubernetes-list-map-keys"] as string[] | undefined) ?? []) {
      if (!required.includes(key)) say(`list map key ${key} is not required in the items`);
    }
  }
  for (const [name, child] of Object.entries((node.properties as Record<string, SchemaNode>) ?? {})) {
    found.push(...structuralViolations(child, path === "" ? name : `${path}.${name}`, inJunctor));
  }
  if (typeof node.additionalProperties === "object") {
    found.push(...structuralViolations(node.additionalProperties as SchemaNode, `${path}[*]`, inJunctor));
  }
  if (node.items !== undefined) {
    found.push(...structuralViolations(node.items as SchemaNode, `${path}[]`, inJunctor));
  }
  return found;
}

/** Dotted paths of the object fields below `node` that have no description (kubectl explain would be blank). */
function undescribed(node: SchemaNode, path: string): string[] {
  const missing: string[] = [];
  for (const [name, child] of Object.entries((node.properties as Record<string, SchemaNode>) ?? {})) {
    const childPath = `${path}.${name}`;
    if (typeof child.description !== "string" || child.description === "") missing.push(childPath);
    const nested = (child.items as SchemaNode | undefined) ?? child;
    missing.push(...undescribed(nested, childPath));
  }
  return missing;
}

describe("the committed CRD manifest", () => {
  test("is listed by config/crd/kustomization.yaml", () => {
    const kustomization = parse(readFileSync(join(CRD_DIR, "kustomization.yaml"), "utf8"));
    assert.deepEqual(kustomization.resources, [CRD_FILE]);
  });
});

describe("performerCrd", () => {
  test("names the resource as the API group and kubectl expect", () => {
    assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
    assert.equal(crd.metadata.name, "performers.hourglass.eigenlayer.io");
    assert.equal(crd.spec.group, "hourglass.eigenlayer.io");
    assert.equal(crd.spec.scope, "Namespaced");
    assert.deepEqual(crd.spec.names, {
      kind: "Performer",
      listKind: "PerformerList",
      plural: "performers",
      singular: "performer",
      shortNames: ["perf"],
      categories: ["hourglass"],
    });
  });

  test("serves and stores one version, v1alpha1, with a status subresource", () => {
    assert.equal(crd.spec.versions.length, 1);
    assert.equal(version.name, "v1alpha1");
    assert.equal(version.served, true);
    assert.equal(version.storage, true);
    assert.deepEqual(version.subresources, { status: {} });
  });

  test("shows AVS, Phase, Ready, Endpoint and Age in kubectl get", () => {
    const shown = version.additionalPrinterColumns
      .filter((c) => c.priority === undefined || c.priority === 0)
      .map((c) => [c.name, c.type, c.jsonPath]);
    assert.deepEqual(shown, [
      ["AVS", "string", ".spec.avsAddress"],
      ["Phase", "string", ".status.phase"],
      ["Ready", "string", '.status.conditions[?(@.type=="Ready")].status'],
      ["Endpoint", "string", ".status.endpoint"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
  });

  test("has a structural openAPIV3Schema", () => {
    assert.equal(root.type, "object");
    assert.deepEqual(structuralViolations(root, ""), []);
  });

  test("restricts nothing in metadata, which the apiserver validates itself", () => {
    assert.deepEqual((root.properties as Record<string, SchemaNode>).metadata, { type: "object" });
  });

  test("describes every field, for kubectl explain", () => {
    assert.equal(typeof root.description, "string");
    // The apiserver publishes metadata as ObjectMeta, with ObjectMeta's own documentation.
    assert.deepEqual(undescribed(root, ""), [".metadata"]);
  });

  test("declares quantities int-or-string, as Kubernetes does", () => {
    const spec = (root.properties as Record<string, SchemaNode>).spec!;
    const resources = (spec.properties as Record<string, SchemaNode>).resources!;
    for (const list of ["requests", "limits"]) {
      const quantity = ((resources.properties as Record<string, SchemaNode>)[list]!.additionalProperties ??
        {}) as SchemaNode;
      assert.equal(quantity["x-kubernetes-int-or-string"], true, list);
      assert.ok(isIntOrStringPattern(quantity), list);
      assert.equal(
        quantity.maxLength,
        MAX_QUANTITY_LENGTH,
        `${list}: the apiserver bounds a quantity's length`,
      );
    }
  });
});

describe("the structural check itself", () => {
  test("finds what the apiserver would refuse", () => {
    const violations = structuralViolations(
      {
        type: "object",
        properties: {
          untyped: { description: "no type" },
          both: {
            type: "object",
            properties: { a: { type: "string" } },
            additionalProperties: { type: "string" },
          },
          defaulted: { type: "integer", default: 1 },
          junctor: {
            type: "object",
            anyOf: [{ type: "string" }, { properties: { hidden: { type: "string" } } }],
          },
          listMap: {
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            items: { type: "object" },
          },
        },
        $id: "Performer",
      },
      "",
    );
    assert.deepEqual(violations.sort(), [
      '(root): "$id" is not a JSONSchemaProps field',
      "both: has both properties and additionalProperties",
      'defaulted: "default" is not a JSONSchemaProps field',
      "defaulted: has a default (defaults belong to the mutating webhook)",
      "junctor.anyOf[0]: sets type inside a logical junctor",
      "junctor.anyOf[1].hidden: sets type inside a logical junctor",
      "junctor: anyOf[1] declares hidden, which is not declared outside it",
      "listMap: list map key name is not required in the items",
      "untyped: has no type",
    ]);
  });
});

describe("crdSchema", () => {
  test("refuses keywords a CRD cannot carry, naming where they are", () => {
    assert.throws(
      () =>
        crdSchema(Type.Object({ config: Type.Object({ grpcPort: Type.Integer({ default: 9090 }) }) }), ""),
      /config\.grpcPort: schema keyword "default"/,
    );
    assert.throws(
      () => crdSchema(Type.Object({ labels: Type.Record(Type.String(), Type.String()) }), ""),
      /labels: .*"patternProperties"/,
    );
    assert.throws(() => crdSchema(Type.Object({ mode: Type.Literal("kubernetes") }), ""), /mode: .*"const"/);
  });

  test("drops TypeBox's symbols and $id", () => {
    const node = crdSchema(Type.Object({ name: Type.String() }, { $id: "Thing" }), "");
    assert.deepEqual(node, { properties: { name: { type: "string" } }, required: ["name"], type: "object" });
    assert.deepEqual(Object.getOwnPropertySymbols(node), []);
  });
});
