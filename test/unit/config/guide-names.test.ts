// The names and labels the troubleshooting guide's commands use, in the manifests we ship (config/): its
// `kubectl logs deployment/...`, `-l app=...`, `--as=system:serviceaccount:...` and patches of the container
// `executor` must find what they name.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..", "..");

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata?: { labels?: Record<string, string> };
      spec?: {
        serviceAccountName?: string;
        containers?: { name: string; image?: string }[];
        initContainers?: { name: string }[];
      };
    };
  };
  roleRef?: { name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

function manifests(...files: string[]): Manifest[] {
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(root, "config", file), "utf8")).map((d) => d.toJS() as Manifest),
  );
}

function one(list: Manifest[], kind: string, name: string): Manifest {
  const found = list.find((m) => m.kind === kind && m.metadata.name === name);
  assert.ok(found, `no ${kind} ${name} in ${list.map((m) => `${m.kind}/${m.metadata.name}`).join(", ")}`);
  return found;
}

function selects(deployment: Manifest, label: string, value: string): void {
  const pod = deployment.spec?.template?.metadata?.labels ?? {};
  assert.equal(deployment.metadata.labels?.[label], value, `deployment/${deployment.metadata.name} label`);
  assert.equal(
    pod[label],
    value,
    `the Pods of deployment/${deployment.metadata.name} lack ${label}=${value}`,
  );
  for (const [k, v] of Object.entries(deployment.spec?.selector?.matchLabels ?? {})) {
    assert.equal(pod[k], v, `the Deployment's selector ${k}=${v} does not match its own Pods`);
  }
}

test("the operator: deployment/hourglass-operator labelled app=hourglass-operator, its RBAC named as in the guide", () => {
  const list = manifests(
    "manager/manager.yaml",
    "rbac/service_account.yaml",
    "rbac/role.yaml",
    "rbac/role_binding.yaml",
  );
  const deployment = one(list, "Deployment", "hourglass-operator");
  assert.equal(deployment.metadata.namespace, "hourglass-system");
  selects(deployment, "app", "hourglass-operator");
  assert.equal(deployment.spec?.template?.spec?.serviceAccountName, "hourglass-operator");
  one(list, "ServiceAccount", "hourglass-operator");
  one(list, "ClusterRole", "hourglass-operator");
  const binding = one(list, "ClusterRoleBinding", "hourglass-operator-binding");
  assert.equal(binding.roleRef?.name, "hourglass-operator");
  assert.deepEqual(binding.subjects, [
    { kind: "ServiceAccount", name: "hourglass-operator", namespace: "hourglass-system" },
  ]);
});

test("the sample AVS: deployment/my-avs-executor, app=hourglass-executor, the container executor first in containers", () => {
  const list = manifests("executor/deployment.yaml", "executor/rbac.yaml");
  const deployment = one(list, "Deployment", "my-avs-executor");
  assert.equal(deployment.metadata.namespace, "my-avs-project");
  selects(deployment, "app", "hourglass-executor");
  const pod = deployment.spec?.template?.spec;
  // `kubectl logs deployment/my-avs-executor` shows the first container; the guide's patches merge by name.
  assert.equal(pod?.containers?.[0]?.name, "executor");
  assert.equal(pod?.initContainers, undefined, "the executor must not be a native sidecar");
  assert.equal(pod?.serviceAccountName, "executor-service-account");
  one(list, "ServiceAccount", "executor-service-account");
  one(list, "Role", "executor-role");
  const binding = one(list, "RoleBinding", "executor-binding");
  assert.equal(binding.roleRef?.name, "executor-role");
  assert.deepEqual(binding.subjects, [
    { kind: "ServiceAccount", name: "executor-service-account", namespace: "my-avs-project" },
  ]);
});
