// The manifests generated from code (the CRD, the webhook registrations) must be committed as `make manifests`
// writes them: kustomize and `make deploy` read the files, not the code. So must the Helm chart, generated from
// config/: a change to config/ without `make manifests` leaves the chart behind, and fails here
// (test/integration/helm.test.ts checks what the chart renders against `kubectl kustomize`).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { test } from "node:test";
import { generatedManifests } from "../../../scripts/generated-manifests.ts";
import { OPERATOR_NODE_FLAGS, OPERATOR_NODE_OPTIONS } from "../../../src/cli/operator-node-options.ts";

const root = new URL("../../..", import.meta.url).pathname;

for (const { file, text } of generatedManifests()) {
  test(`${relative(root, file)} is up to date`, () => {
    assert.equal(
      readFileSync(file, "utf8"),
      text,
      `${relative(root, file)} is stale: run make manifests and commit the result`,
    );
  });
}

test("the operator's Deployment runs Node with the V8 settings its memory figures were measured with", () => {
  const manager = readFileSync(`${root}config/manager/manager.yaml`, "utf8");
  const value = /- name: NODE_OPTIONS\n\s+value: (.+)\n/.exec(manager)?.[1];
  assert.equal(
    value,
    OPERATOR_NODE_OPTIONS,
    "config/manager/manager.yaml: set env NODE_OPTIONS to OPERATOR_NODE_OPTIONS",
  );
  const command = /^\s+command: (\[.*\])$/m.exec(manager)?.[1];
  assert.deepEqual(
    command && JSON.parse(command),
    ["node", ...OPERATOR_NODE_FLAGS, "src/cli/operator.ts"],
    "config/manager/manager.yaml: the operator's command is node, OPERATOR_NODE_FLAGS, then the script",
  );
});
