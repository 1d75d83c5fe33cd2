// The user documentation in docs/ keeps up with the code: every executor-config key the schemas define, and every
// condition reason and Event reason of the controller's table, is named in it. A new key or reason without docs
// fails here.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as configSchemas from "../../../src/api/executor-config-schema.ts";
import { PERFORMER_REASONS } from "../../../src/api/performer-conditions.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const doc = (name: string) => readFileSync(join(root, "docs", name), "utf8");

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** Every key path of a schema, arrays written `key[]`: `avs_config.supported_avs[].address`. */
function keyPaths(schema: SchemaNode, prefix = ""): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    paths.push(path);
    const element = child.type === "array" && child.items ? child.items : undefined;
    if (element) paths.push(...keyPaths(element, `${path}[].`));
    else paths.push(...keyPaths(child, `${path}.`));
  }
  return paths;
}

/** The top-level config schemas: exported objects whose keys are not all inside another exported schema. */
function configKeys(): string[] {
  const schemas = (Object.values(configSchemas) as unknown[]).filter(
    (s): s is SchemaNode => typeof s === "object" && s !== null && "properties" in s,
  );
  return [
    ...new Set(schemas.filter((s) => s.properties && "operator" in s.properties).flatMap((s) => keyPaths(s))),
  ];
}

test("every executor-config key is in docs/configuration.md", () => {
  const text = doc("configuration.md");
  const keys = configKeys();
  assert.ok(keys.length > 40, `only ${keys.length} keys found; the schema walk is broken`);
  const missing = keys.filter((key) => !text.includes(`\`${key}\``));
  assert.deepEqual(missing, [], "keys without documentation");
});

/** Reason literals written in controllers/: given as a reason, or to the verdict helpers. */
function controllerReasonLiterals(): string[] {
  const reasons = new Set<string>();
  for (const file of readdirSync(join(root, "controllers")).filter((f) => f.endsWith(".ts"))) {
    const source = readFileSync(join(root, "controllers", file), "utf8");
    for (const m of source.matchAll(/reason: "([A-Z]\w+)"/g)) reasons.add(m[1]!);
    for (const m of source.matchAll(/(?:notReady|unknown|holds|normal)\(\s*"([A-Z]\w+)"/g))
      reasons.add(m[1]!);
    for (const m of source.matchAll(/reason \?\? "([A-Z]\w+)"/g)) reasons.add(m[1]!);
  }
  return [...reasons].sort();
}

test("every reason the controller writes is in the reason table", () => {
  const literals = controllerReasonLiterals();
  for (const known of ["Unschedulable", "CreatedPod", "MissingPermission", "PodNotCreated", "Ready"]) {
    assert.ok(literals.includes(known), `the scan of controllers/ no longer finds ${known}`);
  }
  assert.deepEqual(
    literals.filter((reason) => !Object.hasOwn(PERFORMER_REASONS, reason)),
    [],
    "reasons missing from src/api/performer-conditions.ts",
  );
});

test("every condition and Event reason of the table is in docs/performer.md", () => {
  const text = doc("performer.md");
  const reasons = Object.keys(PERFORMER_REASONS);
  assert.ok(reasons.length > 40, `only ${reasons.length} reasons in the table`);
  const missing = reasons.filter((reason) => !text.includes(`\`${reason}\``));
  assert.deepEqual(missing, [], "reasons without documentation");
});

test("the README links docs/ and names no file outside the repository", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  for (const page of readdirSync(join(root, "docs"))) assert.match(readme, new RegExp(`\\(docs/${page}\\)`));
  assert.doesNotMatch(readme, /\]\(\.\.\/|(^|\s)\.\.\/shared|shared design folder|DESIGN\.md/m);
});
