import assert from "node:assert/strict";
import { test } from "node:test";
import { errorsOf, formatProblem } from "../../../src/api/problem.ts";
import type { AdmissionRequest } from "../../../webhooks/admission-review.ts";
import { validateExecutorConfig } from "../../../webhooks/validate-executor-config.ts";
import { requestOf } from "../../fixtures/admission/reviews.ts";

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
  const d = validateExecutorConfig(withConfig(request, yaml.replace(/^kubernetes:\n( {2}.*\n)+/m, "")));
  assert.equal(d.allowed, false);
  assert.match(errorsOf(d.problems).map(formatProblem).join("\n"), /kubernetes configuration is required/);
});

test("Hourglass's camelCase dialect is read by the same rules; a file mixing dialects is refused", () => {
  const camel = `operator:
  address: "0x00000000000000000000000000000000000000aa"
  operatorPrivateKey: { privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" }
  signingKeys: { bls: { keystoreFile: /keys/bn254.json } }
l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 }
kubernetes: { namespace: avs-one, operatorNamespace: hourglass-system, crdGroup: hourglass.eigenlayer.io, crdVersion: v1alpha1, connectionTimeout: 30s, inCluster: true }
avsPerformers:
  - { avsAddress: "0x1234567890abcdef1234567890abcdef12345678", deploymentMode: kubernetes, image: { repository: one, tag: v1 } }
  - { avsAddress: "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd", image: { repository: two, tag: v1 } }
`;
  const mixed = validateExecutorConfig(withConfig(requestOf("executor-config-valid-create"), camel));
  assert.equal(mixed.allowed, false);
  assert.deepEqual(errorsOf(mixed.problems).map(formatProblem), [
    'data[config.yaml].avsPerformers[1].deploymentMode (line 9): mixed deployment modes not supported: "docker" here, "kubernetes" at avsPerformers[0].deploymentMode (an AVS that names none runs in docker mode); one executor runs all its performers one way: use the same deploymentMode everywhere',
  ]);
  const consistent = camel.replace(
    "image: { repository: two",
    "deploymentMode: kubernetes, image: { repository: two",
  );
  const allowed = validateExecutorConfig(withConfig(requestOf("executor-config-valid-create"), consistent));
  assert.deepEqual(allowed.problems, []);
  assert.equal(allowed.allowed, true);
  const dialects = validateExecutorConfig(
    withConfig(requestOf("executor-config-valid-create"), consistent.replace("inCluster", "in_cluster")),
  );
  assert.equal(dialects.allowed, false);
  assert.match(errorsOf(dialects.problems).map(formatProblem).join("\n"), /mixes the two config dialects/);
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
