// The doc-comment check finds exactly the undocumented exports of a fixture holding one documented and one
// undocumented export of each kind it counts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { undocumentedExports } from "../../../scripts/check-doc-comments.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = "test/fixtures/doc-comments/exports.ts";

test("lists each undocumented export with its line, and no documented one, member or re-export", () => {
  const found = undocumentedExports(fixture, readFileSync(join(root, fixture), "utf8"));
  assert.deepEqual(
    found.map((u) => `${u.line} ${u.name}`),
    [
      "10 undocumentedFunction",
      "17 UndocumentedClass",
      "24 UndocumentedInterface",
      "31 UndocumentedType",
      "37 undocumentedConst",
      "40 lineCommented",
      "43 emptyDocComment",
    ],
  );
  assert.ok(found.every((u) => u.file === fixture));
});

test("a documented source has nothing to report", () => {
  assert.deepEqual(undocumentedExports("a.ts", "/** Why a exists. */\nexport const a = 1;\n"), []);
});
