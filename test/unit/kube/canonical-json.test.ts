// Canonical JSON and the equality the reconciler's "did the status change" check uses: jsonEqual must agree with
// comparing the canonical texts, on every shape a status can take.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson, jsonEqual } from "../../../src/kube/canonical-json.ts";

test("canonical JSON sorts keys at every depth and drops undefined values", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: new Date(0) } }),
    '{"a":{"c":"1970-01-01T00:00:00.000Z","d":[{"x":2,"z":1}]},"b":1}',
  );
});

const cases: [string, unknown, unknown, boolean][] = [
  ["key order", { a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }, true],
  ["an undefined key against a missing one", { a: 1, b: undefined }, { a: 1 }, true],
  ["a missing key against a present one", { a: 1 }, { a: 1, b: 2 }, false],
  ["a different value", { a: { b: "x" } }, { a: { b: "y" } }, false],
  ["a Date against its text", { t: new Date(0) }, { t: "1970-01-01T00:00:00.000Z" }, true],
  ["array order", [1, 2], [2, 1], false],
  ["array length", [1, 2], [1, 2, 3], false],
  ["undefined in an array is null", [undefined], [null], true],
  ["null against an object", { a: null }, { a: {} }, false],
  ["an array against an object", { a: [] }, { a: {} }, false],
  ["NaN prints as null", { a: Number.NaN }, { a: null }, true],
  ["a number against its text", { a: 1 }, { a: "1" }, false],
  ["undefined against undefined", undefined, undefined, true],
  ["undefined against an object", undefined, {}, false],
  ["an empty status against one with fields", {}, { phase: "Pending" }, false],
];

for (const [what, a, b, expected] of cases) {
  test(`jsonEqual: ${what}`, () => {
    assert.equal(jsonEqual(a, b), expected);
    assert.equal(jsonEqual(b, a), expected);
    // The definition: equal exactly when the canonical texts are.
    assert.equal(canonicalJson(a) === canonicalJson(b), expected);
  });
}
