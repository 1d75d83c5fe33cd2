// The image builds, checked without a Docker engine: every file a Dockerfile copies is in the build context that
// .dockerignore leaves, and each image runs as a numeric user, which a Pod with runAsNonRoot can verify.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const DOCKERFILES = ["Dockerfile", "examples/performer/Dockerfile"];

/** .dockerignore's patterns; the project's are plain paths from the context's root. */
const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));

function isIgnored(path: string): boolean {
  const normal = path.replace(/^\.\//, "").replace(/\/$/, "");
  return ignored.some((pattern) => normal === pattern || normal.startsWith(`${pattern}/`));
}

/** The context paths each COPY (not COPY --from a stage) takes. */
function copiedPaths(dockerfile: string): string[] {
  return dockerfile
    .split("\n")
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
}

for (const file of DOCKERFILES) {
  const text = readFileSync(join(root, file), "utf8");

  test(`${file} copies only what exists in the build context`, () => {
    const paths = copiedPaths(text);
    assert.ok(paths.length > 0, "no COPY found");
    for (const path of paths) {
      assert.ok(existsSync(join(root, path)), `${path} does not exist`);
      assert.equal(isIgnored(path), false, `${path} is excluded by .dockerignore`);
    }
  });

  test(`${file} runs as a numeric, non-root user`, () => {
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]!);
    const last = users.at(-1);
    assert.match(last ?? "", /^[1-9]\d*(:\d+)?$/, `USER ${last}: give a numeric uid (e.g. 1000:1000)`);
  });
}
