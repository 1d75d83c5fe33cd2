import assert from "node:assert/strict";
import { test } from "node:test";
import { closestMatch, editDistance } from "../../src/api/suggest.ts";

test("edit distance counts insertions, deletions and substitutions, ignoring case", () => {
  assert.equal(editDistance("grpc_port", "grpc_port"), 0);
  assert.equal(editDistance("grpc_prot", "grpc_port"), 2);
  assert.equal(editDistance("GRPC_PORT", "grpc_port"), 0);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
});

test("the closest key is suggested only when it is close enough to be a typo", () => {
  const keys = ["grpc_port", "health_port", "metrics_port", "operator"];
  assert.equal(closestMatch("grpc_prot", keys), "grpc_port");
  assert.equal(closestMatch("helth_port", keys), "health_port");
  assert.equal(closestMatch("Operator", keys), "operator");
  assert.equal(closestMatch("sidecar_mode", keys), undefined);
  assert.equal(closestMatch("x", []), undefined);
});
