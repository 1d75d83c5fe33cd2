// The local control plane behaves as a cluster's does in the ways this project relies on: the pinned version is
// served, and the garbage collector removes objects whose owner is gone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pinnedVersions } from "../controlplane/binaries.ts";
import { kubectl, useNamespace } from "../support/cluster.ts";

const pinned = pinnedVersions().kubernetes;

test("the apiserver and kubectl are the pinned release", async () => {
  const version = await kubectl(["version", "-o", "json"]);
  assert.equal(version.code, 0, version.stderr);
  const parsed = JSON.parse(version.stdout);
  assert.equal(parsed.serverVersion.gitVersion, pinned);
  assert.equal(parsed.clientVersion.gitVersion, pinned);
});

test("an object whose owner is deleted is garbage collected", async (t) => {
  const ns = await useNamespace(t, "gc");
  const owner = await kubectl(["create", "configmap", "owner", "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
  assert.equal(owner.code, 0, owner.stderr);
  const child = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "child",
      namespace: ns,
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.stdout }],
    },
  };
  const created = await kubectl(["create", "-f", "-"], { input: JSON.stringify(child) });
  assert.equal(created.code, 0, created.stderr);
  await kubectl(["delete", "configmap", "owner", "-n", ns]);
  let remaining = "child";
  for (let i = 0; i < 120 && remaining !== ""; i++) {
    await sleep(250);
    remaining = (
      await kubectl(["get", "configmaps", "-n", ns, "--field-selector=metadata.name=child", "-o", "name"])
    ).stdout.trim();
  }
  assert.equal(remaining, "", "the garbage collector did not remove the orphaned child within 30 s");
});
