// The image builds, checked without a Docker engine: every file a Dockerfile copies is in the build context that
// .dockerignore leaves, and each image runs as a numeric user, which a Pod with runAsNonRoot can verify.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..", "..");
const bins = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).bin as Record<string, string>;
/** Each Dockerfile with the programs its image runs: the project's CLIs (the manifests start the operator and the
 * executor from the one image), and the sample performer. */
const DOCKERFILES: Record<string, string[]> = {
  Dockerfile: Object.values(bins),
  "examples/performer/Dockerfile": ["examples/performer/main.ts"],
};

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

/** Every project file a program's module loads, following relative imports (not packages). */
function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(join(root, file), "utf8");
    for (const m of source.matchAll(/^(?:import|export)\b[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms)) {
      visit(relative(root, resolve(root, dirname(file), m[1]!)));
    }
  };
  visit(entry);
  return [...seen];
}

for (const [file, programs] of Object.entries(DOCKERFILES)) {
  const text = readFileSync(join(root, file), "utf8");

  test(`${file} copies only what exists in the build context`, () => {
    const paths = copiedPaths(text);
    assert.ok(paths.length > 0, "no COPY found");
    for (const path of paths) {
      assert.ok(existsSync(join(root, path)), `${path} does not exist`);
      assert.equal(isIgnored(path), false, `${path} is excluded by .dockerignore`);
    }
  });

  test(`${file} copies every module its programs load`, () => {
    const copied = copiedPaths(text).map((p) => p.replace(/^\.\//, "").replace(/\/$/, ""));
    const missing = programs
      .flatMap(moduleGraph)
      .filter((module) => !copied.some((p) => module === p || module.startsWith(`${p}/`)));
    assert.deepEqual(missing, [], `not copied into the image: ${missing.join(", ")}`);
  });

  test(`${file} runs as a numeric, non-root user`, () => {
    const users = [...text.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]!);
    const last = users.at(-1);
    assert.match(last ?? "", /^[1-9]\d*(:\d+)?$/, `USER ${last}: give a numeric uid (e.g. 1000:1000)`);
  });
}
