import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { kustomizeResources } from "../../../../scripts/chart/kustomize-resources.ts";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "kustomize-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const kustomization = (resources: string[], extra = "") =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${extra}resources:\n${resources.map((r) => `  - ${r}\n`).join("")}`;

test("resources in kustomization order, folders followed, every document of a file, a source override first", (t) => {
  const root = tree({
    "config/default/kustomization.yaml": kustomization(["../a", "../b"]),
    "config/a/kustomization.yaml": kustomization(["two.yaml"]),
    "config/a/two.yaml": "# header\n---\nkind: A\n---\nkind: B\n",
    "config/b/kustomization.yaml": kustomization(["one.yaml"]),
    "config/b/one.yaml": "kind: OnDisk\n",
  });
  t.after(() => rmSync(root, { recursive: true }));
  const sources = new Map([[join(root, "config/b/one.yaml"), "kind: Generated\n"]]);
  const found = kustomizeResources(root, join(root, "config/default"), sources);
  assert.deepEqual(
    found.map((r) => [r.file, r.doc.get("kind")]),
    [
      ["config/a/two.yaml", "A"],
      ["config/a/two.yaml", "B"],
      ["config/b/one.yaml", "Generated"],
    ],
  );
});

test("a kustomization with more than resources is refused, naming the file and the fields", (t) => {
  const root = tree({
    "config/x/kustomization.yaml": kustomization(["o.yaml"], "namePrefix: my-\npatches: []\n"),
    "config/x/o.yaml": "kind: O\n",
  });
  t.after(() => rmSync(root, { recursive: true }));
  assert.throws(
    () => kustomizeResources(root, join(root, "config/x")),
    /config\/x\/kustomization\.yaml: namePrefix, patches not supported by the chart generator/,
  );
});
