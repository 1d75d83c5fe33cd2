import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseGoDuration } from "../../../src/api/duration.ts";

describe("parseGoDuration", () => {
  it("reads Go durations in milliseconds", () => {
    assert.equal(parseGoDuration("30s"), 30_000);
    assert.equal(parseGoDuration("1m30s"), 90_000);
    assert.equal(parseGoDuration("250ms"), 250);
    assert.equal(parseGoDuration("1.5h"), 5_400_000);
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("500us"), 0.5);
  });

  it("refuses what Go refuses", () => {
    for (const bad of ["", "30", "s", "1d", "5 m", "-1s", "1s ", "1ss"]) {
      assert.equal(parseGoDuration(bad), undefined, bad);
    }
  });
});
