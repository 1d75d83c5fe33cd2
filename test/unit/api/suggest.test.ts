import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { closestMatch, editDistance } from "../../../src/api/suggest.ts";

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

test("a bounded distance stops at the bound and says so with bound + 1", () => {
  assert.equal(editDistance("kitten", "sitting", 3), 3);
  assert.equal(editDistance("kitten", "sitting", 2), 3);
  assert.equal(editDistance("a", "abcdefgh", 2), 3);
  assert.equal(editDistance("unknown_key_12345", "performer_network_name", 4), 5);
});

test("the bounded distance agrees with the full table whenever it is within the bound", () => {
  const full = (a: string, b: string) => {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    let row = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
      const next = [i];
      for (let j = 1; j <= y.length; j++) {
        next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
      }
      row = next;
    }
    return row[y.length]!;
  };
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.nat(14), (a, b, limit) => {
      const distance = full(a, b);
      assert.equal(editDistance(a, b, limit), distance <= limit ? distance : limit + 1);
      assert.equal(editDistance(a, b), distance);
    }),
    { numRuns: 5_000 },
  );
});
