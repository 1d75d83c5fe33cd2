import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import {
  defaultValues,
  valuePaths,
  valuesSchema,
  valuesYaml,
} from "../../../../scripts/chart/chart-values.ts";

const fromConfig = new Map<string, unknown>([
  ["operator.image.repository", "img"],
  ["operator.image.tag", "v1"],
  ["operator.image.pullPolicy", "IfNotPresent"],
  ["operator.replicaCount", 2],
  ["operator.resources", { limits: { cpu: "1" } }],
  ["operator.env.logLevel", "info"],
  ["scheduling.affinity", {}],
  ["webhook.failurePolicy", "Fail"],
]);

test("defaults: config/'s where the templates take them from config/, the chart's own elsewhere", () => {
  const values = defaultValues(fromConfig) as { operator: { replicaCount: number }; crd: { keep: boolean } };
  assert.equal(values.operator.replicaCount, 2);
  assert.equal(values.crd.keep, true);
});

test("a value from config/ that is not documented, or documented with a default of its own, is an error", () => {
  assert.throws(
    () => defaultValues(new Map([...fromConfig, ["operator.colour", "blue"]])),
    /chart values without documentation: operator\.colour/,
  );
  assert.throws(
    () => defaultValues(new Map([...fromConfig, ["crd.keep", false]])),
    /chart value crd\.keep: give its default either in the spec or from config\/, once/,
  );
  const partial = new Map(fromConfig);
  partial.delete("operator.replicaCount");
  assert.throws(() => defaultValues(partial), /chart value operator\.replicaCount/);
});

test("values.yaml holds the defaults, each under a comment", () => {
  const values = defaultValues(fromConfig);
  const text = valuesYaml(values);
  assert.deepEqual(parse(text), values);
  for (const path of valuePaths()) {
    const key = path.split(".").at(-1)!;
    assert.match(text, new RegExp(`# [^\\n]+\\n *${key}:`), `${path} has no comment above it`);
  }
});

test("the schema allows no key it does not name and types each leaf by its default", () => {
  const schema = valuesSchema(defaultValues(fromConfig)) as {
    additionalProperties: boolean;
    properties: {
      operator: { additionalProperties: boolean; properties: Record<string, { type?: string }> };
    };
  };
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.operator.additionalProperties, false);
  assert.equal(schema.properties.operator.properties.replicaCount?.type, "integer");
  assert.equal(schema.properties.operator.properties.resources?.type, "object");
});
