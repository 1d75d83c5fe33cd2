// The images `make image` builds start from Node's compile cache: each program, run inside its image's file
// system as the manifests run it (uid 1000, the same V8 flags), finds every module it loads already stripped of
// its types and compiled, so no start loads the type stripper. A flag added in a manifest but not where the cache
// is filled, or a cache the user cannot read, shows here as a module missed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import {
  ensureProjectImages,
  OPERATOR_IMAGE,
  PERFORMER_IMAGE,
  runInImage,
} from "../controlplane/node-images.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

/** The node flags and script of the first container of `manifest`'s Deployment (its `command`). */
function manifestProgram(manifest: string): string[] {
  for (const doc of parseAllDocuments(readFileSync(join(root, manifest), "utf8"))) {
    const object = doc.toJS();
    if (object?.kind !== "Deployment") continue;
    const command: string[] = object.spec.template.spec.containers[0].command;
    assert.equal(command[0], "node", `${manifest}: the container's command does not start with node`);
    const script = command.findIndex((arg) => arg.endsWith(".ts"));
    return command.slice(1, script + 1);
  }
  throw new Error(`${manifest} has no Deployment`);
}

/** The image's file system, from its OCI archive's layers, and the environment its config gives processes. */
async function unpack(
  archive: string,
  into: string,
): Promise<{ rootfs: string; env: Record<string, string> }> {
  const oci = join(into, "oci");
  const rootfs = join(into, "rootfs");
  await mkdir(oci, { recursive: true });
  await mkdir(rootfs);
  await run("tar", ["-xf", archive, "-C", oci]);
  const blob = async (digest: string) =>
    JSON.parse(await readFile(join(oci, "blobs", ...digest.split(":")), "utf8"));
  const manifest = await blob(
    JSON.parse(await readFile(join(oci, "index.json"), "utf8")).manifests[0].digest,
  );
  for (const layer of manifest.layers) {
    await run("tar", ["-xf", join(oci, "blobs", ...layer.digest.split(":")), "-C", rootfs]);
  }
  const config: { config?: { Env?: string[] } } = await blob(manifest.config.digest);
  const env = Object.fromEntries(
    (config.config?.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  return { rootfs, env };
}

describe("the images' compile cache", { timeout: 10 * 60_000 }, () => {
  let dir = "";
  const images = new Map<string, { rootfs: string; env: Record<string, string> }>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hourglass-images-"));
    for (const image of await ensureProjectImages()) {
      images.set(image.ref, await unpack(image.archive, join(dir, String(images.size))));
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const programs: Array<[string, string, string[]]> = [
    [
      "the operator, as config/manager starts it",
      OPERATOR_IMAGE,
      manifestProgram("config/manager/manager.yaml"),
    ],
    [
      "the executor, as config/executor starts it",
      OPERATOR_IMAGE,
      manifestProgram("config/executor/deployment.yaml"),
    ],
    [
      "the sample performer, as its image's entrypoint starts it",
      PERFORMER_IMAGE,
      ["examples/performer/main.ts"],
    ],
  ];
  for (const [what, image, program] of programs) {
    it(`${what}, loads every module from it`, async () => {
      const { rootfs, env } = images.get(image)!;
      // The start's own output: what Node's compile cache did for each module.
      const { stderr } = await runInImage(rootfs, [...program, "--help"], {
        ...env,
        NODE_DEBUG_NATIVE: "COMPILE_CACHE",
      });
      const lines = stderr.split("\n");
      const hits = lines.filter((l) => /for StrippedTypeScript .*success/.test(l));
      const misses = lines.filter((l) => /no transpile cache for StrippedTypeScript/.test(l));
      assert.deepEqual(misses, [], `${program.join(" ")}: modules stripped at start`);
      assert.ok(
        hits.length >= 10,
        `${program.join(" ")}: ${hits.length} modules from the cache:\n${stderr.slice(0, 2000)}`,
      );
    });
  }
});
