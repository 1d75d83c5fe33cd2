// The sample performer (and the executor) as container images, without a Docker engine or a base image (none is
// reachable here): a root filesystem of the pinned node binary, the shared libraries it links, and the program's
// files with the packages they import, imported into the engine by `podman import`. Each tarball is cached by its
// content's hash.
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
export const EXECUTOR_IMAGE_REPOSITORY = "localhost/hourglass/executor";

/** A program's files under /app and the packages they import from node_modules. */
interface NodeApp {
  files: string[];
  packages: string[];
}

/** The example's own files, as the Dockerfile copies them (and src/cli/args.ts, which the logger imports). */
const PERFORMER_FILES = [
  "package.json",
  "proto",
  "src/grpc",
  "src/observability/logger.ts",
  "src/cli/args.ts",
  "examples/performer",
];
/** What those files import from node_modules; their dependencies come along. */
const PERFORMER_PACKAGES = [
  "@grpc/grpc-js",
  "@grpc/proto-loader",
  "@grpc/reflection",
  "grpc-health-check",
  "pino",
  "protobufjs",
];

/** The package directories (relative to ROOT) the roots need, each dependency found as Node resolves it: in the
 * dependent's own node_modules first (a nested version), then in those above it. */
function packageClosure(roots: string[]): string[] {
  const seen = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dirname(dir)) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(ROOT, candidate, "package.json"))) return candidate;
      if (dir === "." || dir === "") return undefined;
    }
  };
  const visit = (path: string | undefined) => {
    if (!path || seen.has(path)) return;
    seen.add(path);
    const pkg = JSON.parse(readFileSync(join(ROOT, path, "package.json"), "utf8"));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }))
      visit(resolve(path, dep));
  };
  for (const root of roots) visit(resolve(".", root));
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

const PERFORMER: NodeApp = { files: PERFORMER_FILES, packages: PERFORMER_PACKAGES };
/** The executor as the Dockerfile's image holds it: the sources and the runtime dependencies. */
const EXECUTOR: NodeApp = {
  files: ["package.json", "src", "proto"],
  packages: Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies ?? {}),
};

/** The rootfs tarball of the app for the current sources, built unless the cache has it. */
async function nodeAppTarball(app: NodeApp): Promise<{ tarball: string; hash: string }> {
  const node = realpathSync(join(ROOT, "node_modules/.bin/node"));
  const libraries = await sharedLibraries(node);
  const packages = packageClosure(app.packages);
  const hash = createHash("sha256");
  for (const file of [node, ...libraries]) hashTree(hash, realpathSync(file), file);
  for (const file of [...app.files, ...packages]) hashTree(hash, join(ROOT, file), file);
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
  for (const file of [...app.files, ...packages]) {
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

/** Imports the app's tarball into the engine as `repository:<content hash>-<variant>` with the image settings
 * `changes` (Dockerfile instructions). */
async function importNodeApp(
  engine: PodmanEngine,
  app: NodeApp,
  repository: string,
  variant: string,
  changes: string[],
): Promise<PerformerImage> {
  mkdirSync(CACHE, { recursive: true });
  const { tarball, hash } = await nodeAppTarball(app);
  const tag = `${hash}-${variant}`;
  const reference = `${repository}:${tag}`;
  await engine.podman(["import", ...changes.flatMap((c) => ["--change", c]), tarball, reference]);
  const digest = (await engine.podman(["image", "inspect", "--format", "{{.Digest}}", reference])).trim();
  return { repository, tag, digest: `${repository}@${digest}` };
}

/** Imports the sample performer into the engine's storage as `repository:tag`. `variant` gives an image of its
 * own (another ID and digest) with the same contents, as a new artifact of the same AVS would be. */
export function importPerformerImage(engine: PodmanEngine, variant = "blue"): Promise<PerformerImage> {
  return importNodeApp(engine, PERFORMER, PERFORMER_IMAGE_REPOSITORY, variant, [
    "WORKDIR /app",
    "USER 1000:1000",
    `ENV NODE_ENV=production PERFORMER_VARIANT=${variant}`,
    "EXPOSE 9090",
    'ENTRYPOINT ["/usr/local/bin/node", "examples/performer/main.ts"]',
  ]);
}

/** Imports the executor as the guide runs it (`docker run -v …/config.yaml:/etc/hourglass/config.yaml --user
 * 1000:1000 hourglass/executor`): `run --config /etc/hourglass/config.yaml` unless other arguments are given. */
export function importExecutorImage(engine: PodmanEngine): Promise<PerformerImage> {
  return importNodeApp(engine, EXECUTOR, EXECUTOR_IMAGE_REPOSITORY, "executor", [
    "WORKDIR /app",
    "USER 1000:1000",
    "ENV NODE_ENV=production",
    "EXPOSE 9090",
    'ENTRYPOINT ["/usr/local/bin/node", "src/cli/executor.ts"]',
    'CMD ["run", "--config", "/etc/hourglass/config.yaml"]',
  ]);
}
