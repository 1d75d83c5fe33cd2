import assert from "node:assert/strict";
import { test } from "node:test";
import { errorsOf, formatProblem } from "../../src/api/problem.ts";
import type { AdmissionRequest } from "../../webhooks/admission-review.ts";
import { validateExecutorConfig } from "../../webhooks/validate-executor-config.ts";
import { requestOf } from "../fixtures/admission/reviews.ts";

function withConfig(request: AdmissionRequest, yaml: string): AdmissionRequest {
  const object = structuredClone(request.object) as { data: Record<string, string> };
  object.data["config.yaml"] = yaml;
  return { ...request, object };
}

test("a consistent executor config is allowed", () => {
  const d = validateExecutorConfig(requestOf("executor-config-valid-create"));
  assert.deepEqual(errorsOf(d.problems), []);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.patch, []);
});

test("mixed deployment modes are refused with the guide's message, under the ConfigMap key and with the YAML line", () => {
  const d = validateExecutorConfig(requestOf("executor-config-mixed-update"));
  assert.equal(d.allowed, false);
  const mixed = errorsOf(d.problems).find((p) => p.message.includes("mixed deployment modes not supported"));
  assert.ok(mixed, errorsOf(d.problems).map(formatProblem).join("\n"));
  assert.match(mixed.path, /^data\[config\.yaml\]\.\S/);
  assert.equal(typeof mixed.line, "number");
});

test("kubernetes mode without a kubernetes section is refused with the guide's message", () => {
  const request = requestOf("executor-config-valid-create");
  const yaml = (request.object as { data: Record<string, string> }).data["config.yaml"] ?? "";
  const d = validateExecutorConfig(
    withConfig(request, yaml.replace("kubernetes:\n  namespace: avs-one\n", "")),
  );
  assert.equal(d.allowed, false);
  assert.match(errorsOf(d.problems).map(formatProblem).join("\n"), /kubernetes configuration is required/);
});

test("YAML that does not parse is refused, naming the key", () => {
  const d = validateExecutorConfig(
    withConfig(requestOf("executor-config-valid-create"), "deployment_mode: [kubernetes\n"),
  );
  assert.equal(d.allowed, false);
  assert.match(errorsOf(d.problems)[0]?.path ?? "", /^data\[config\.yaml\]/);
});

test("an executor-config ConfigMap without config.yaml is refused, saying where the config goes", () => {
  const d = validateExecutorConfig(requestOf("executor-config-no-key-create"));
  assert.equal(d.allowed, false);
  assert.deepEqual(
    d.problems.map((p) => p.path),
    ["data[config.yaml]"],
  );
  assert.match(d.problems[0]?.message ?? "", /put the executor's YAML config under the key config\.yaml/);
});

test("DELETE is allowed", () => {
  const request = {
    ...requestOf("executor-config-valid-create"),
    operation: "DELETE" as const,
    object: null,
  };
  assert.equal(validateExecutorConfig(request).allowed, true);
});

test("an UPDATE that takes the label off is allowed, whatever the ConfigMap holds", () => {
  const labelled = requestOf("executor-config-no-key-create");
  assert.equal(validateExecutorConfig(labelled).allowed, false, "the fixture must be refused while labelled");
  const object = structuredClone(labelled.object) as { metadata: { labels?: Record<string, string> } };
  delete object.metadata.labels?.["hourglass.eigenlayer.io/executor-config"];
  const unlabelled: AdmissionRequest = {
    ...labelled,
    operation: "UPDATE",
    object,
    oldObject: labelled.object,
  };
  assert.deepEqual(validateExecutorConfig(unlabelled).problems, []);
  assert.equal(validateExecutorConfig(unlabelled).allowed, true);
});
