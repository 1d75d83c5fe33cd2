import assert from "node:assert/strict";
import { test } from "node:test";
import { parseYamlSource, pathSegments } from "../../../src/api/yaml-source.ts";

test("paths split into keys and list indexes, bracketed keys kept whole", () => {
  assert.deepEqual(pathSegments("a.b[2].c"), ["a", "b", 2, "c"]);
  assert.deepEqual(pathSegments("limits[nvidia.com/gpu]"), ["limits", "nvidia.com/gpu"]);
  assert.deepEqual(pathSegments(""), []);
});

test("lines of keys, of list items, and of the nearest ancestor when a key is absent", () => {
  const source = parseYamlSource(
    ["top: 1", "list:", "  - name: a", "  - name: b", "    deep:", "      key: v"].join("\n"),
  );
  assert.deepEqual(source.syntaxProblems, []);
  assert.equal(source.lineOf("top"), 1);
  assert.equal(source.lineOf("list"), 2);
  assert.equal(source.lineOf("list[1]"), 4);
  assert.equal(source.lineOf("list[1].deep.key"), 6);
  assert.equal(source.lineOf("list[1].missing"), 4);
  assert.equal(source.lineOf("list[7]"), 2);
  assert.deepEqual(source.value, { top: 1, list: [{ name: "a" }, { name: "b", deep: { key: "v" } }] });
});
