// The sample performer as a container image, without a Docker engine or a base image (none is reachable here):
// a root filesystem of the pinned node binary, the shared libraries it links, and the example's files with the
// packages they import, imported into the engine by `podman import`. The tarball is cached by its content's hash.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { PodmanEngine } from "./podman-engine.ts";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const CACHE = join(ROOT, ".local/cache/performer-image");
export const PERFORMER_IMAGE_REPOSITORY = "localhost/hourglass/example-performer";

/** The example's own files, as the Dockerfile copies them (and src/cli/args.ts, which the logger imports). */
const APP_FILES = [
  "package.json",
  "proto",
  "src/grpc",
  "src/observability/logger.ts",
  "src/cli/args.ts",
  "examples/performer",
];
/** What those files import from node_modules; their dependencies come along. */
const PACKAGES = [
  "@grpc/grpc-js",
  "@grpc/proto-loader",
  "@grpc/reflection",
  "grpc-health-check",
  "pino",
  "protobufjs",
];

function packageClosure(roots: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !existsSync(join(ROOT, "node_modules", name, "package.json"))) return;
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8"));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  roots.forEach(visit);
  return [...seen].sort();
}

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run("ldd", [binary]);
  return [...stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

function hashTree(hash: ReturnType<typeof createHash>, path: string, name: string): void {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path).sort()) hashTree(hash, join(path, entry), `${name}/${entry}`);
  } else {
    hash.update(`${name}\0${stat.size}\0`);
    hash.update(readFileSync(path));
  }
}

/** The rootfs tarball for the current sources, built unless the cache has it. */
async function performerTarball(): Promise<{ tarball: string; hash: string }> {
  const node = realpathSync(join(ROOT, "node_modules/.bin/node"));
  const libraries = await sharedLibraries(node);
  const packages = packageClosure(PACKAGES).map((p) => `node_modules/${p}`);
  const hash = createHash("sha256");
  for (const file of [node, ...libraries]) hashTree(hash, realpathSync(file), file);
  for (const file of [...APP_FILES, ...packages]) hashTree(hash, join(ROOT, file), file);
  const digest = hash.digest("hex").slice(0, 16);
  const tarball = join(CACHE, `${digest}.tar`);
  if (existsSync(tarball)) return { tarball, hash: digest };

  const rootfs = join(CACHE, `${digest}.rootfs`);
  rmSync(rootfs, { recursive: true, force: true });
  mkdirSync(join(rootfs, "usr/local/bin"), { recursive: true });
  mkdirSync(join(rootfs, "tmp"), { recursive: true, mode: 0o1777 });
  copyFileSync(node, join(rootfs, "usr/local/bin/node"));
  for (const lib of libraries) {
    mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
    copyFileSync(realpathSync(lib), join(rootfs, lib));
  }
  for (const file of [...APP_FILES, ...packages]) {
    cpSync(join(ROOT, file), join(rootfs, "app", file), { recursive: true, dereference: true });
  }
  await run("chmod", ["1777", join(rootfs, "tmp")]);
  await run("tar", [
    "-C",
    rootfs,
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    "-cf",
    `${tarball}.part`,
    ".",
  ]);
  await run("mv", [`${tarball}.part`, tarball]);
  rmSync(rootfs, { recursive: true, force: true });
  return { tarball, hash: digest };
}

export interface PerformerImage {
  repository: string;
  tag: string;
  /** `repository@sha256:…`, as DeployArtifact names an artifact. */
  digest: string;
}

/** Imports the sample performer into the engine's storage as `repository:tag`. `variant` gives an image of its
 * own (another ID and digest) with the same contents, as a new artifact of the same AVS would be. */
export async function importPerformerImage(engine: PodmanEngine, variant = "blue"): Promise<PerformerImage> {
  mkdirSync(CACHE, { recursive: true });
  const { tarball, hash } = await performerTarball();
  const tag = `${hash}-${variant}`;
  const reference = `${PERFORMER_IMAGE_REPOSITORY}:${tag}`;
  await engine.podman([
    "import",
    "--change",
    "WORKDIR /app",
    "--change",
    "USER 1000:1000",
    "--change",
    `ENV NODE_ENV=production PERFORMER_VARIANT=${variant}`,
    "--change",
    "EXPOSE 9090",
    "--change",
    'ENTRYPOINT ["/usr/local/bin/node", "examples/performer/main.ts"]',
    tarball,
    reference,
  ]);
  const digest = (await engine.podman(["image", "inspect", "--format", "{{.Digest}}", reference])).trim();
  return { repository: PERFORMER_IMAGE_REPOSITORY, tag, digest: `${PERFORMER_IMAGE_REPOSITORY}@${digest}` };
}
