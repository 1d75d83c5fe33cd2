// The doc-comment check finds exactly the undocumented exports of a fixture holding one documented and one
// undocumented export of each kind it counts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { undocumentedExports } from "../../../scripts/check-doc-comments.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const fixture = "test/fixtures/doc-comments/exports.ts";

test("lists each undocumented export and public class member with its line; not a documented one, a private, overriding or unexported member, an interface field or a re-export", () => {
  const found = undocumentedExports(fixture, readFileSync(join(root, fixture), "utf8"));
  assert.deepEqual(
    found.map((u) => `${u.line} ${u.name}`),
    [
      "10 undocumentedFunction",
      "14 DocumentedClass.undocumentedMember",
      "32 UndocumentedClass",
      "39 UndocumentedInterface",
      "46 UndocumentedType",
      "52 undocumentedConst",
      "55 lineCommented",
      "58 emptyDocComment",
    ],
  );
  assert.ok(found.every((u) => u.file === fixture));
});

test("a documented source has nothing to report", () => {
  assert.deepEqual(undocumentedExports("a.ts", "/** Why a exists. */\nexport const a = 1;\n"), []);
});
