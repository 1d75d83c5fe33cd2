// Images without a registry: buildah (from Debian) turns a directory staged from this checkout into an OCI
// archive, cached by the content of its inputs, which node.ts imports into the node's containerd. The sample
// performer's image holds the pinned Node.js that `npm ci` installed, the libraries it links, and the runtime
// packages and sources the Dockerfile copies; the sandbox image holds the pause binary build.sh made.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { binaries, cacheDir } from "./binaries.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

export interface ImageArchive {
  /** The reference the kubelet asks for, fully qualified as containerd stores it. */
  ref: string;
  archive: string;
}

export const PERFORMER_IMAGE = "docker.io/library/hourglass-example-performer:dev";

interface ImageSpec {
  ref: string;
  /** Copies the image's files into `rootfs`. */
  stage(rootfs: string): Promise<void>;
  /** The files whose content decides the image (the cache key). */
  inputs: string[];
  config: string[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function cacheKey(spec: ImageSpec): string {
  const hash = createHash("sha256").update(spec.ref).update(JSON.stringify(spec.config));
  for (const file of spec.inputs) hash.update(relative(root, file)).update(readFileSync(file));
  return hash.digest("hex").slice(0, 16);
}

/** The shared libraries a dynamically linked binary loads, as ldd resolves them on this machine. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run("ldd", [binary]);
  return [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

async function copyInto(rootfs: string, file: string, target = file): Promise<void> {
  await mkdir(dirname(join(rootfs, target)), { recursive: true });
  await cp(file, join(rootfs, target), { dereference: true });
}

/** The packages `npm ci` installed that the project needs at run time (not its development tools). */
async function runtimePackages(): Promise<string[]> {
  const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
    cwd: root,
    maxBuffer: 16 << 20,
  });
  return stdout
    .split("\n")
    .filter((p) => p.startsWith(join(root, "node_modules")))
    .filter((p) => !p.slice(join(root, "node_modules").length + 1).includes("/node_modules/"));
}

async function performerImage(): Promise<ImageSpec> {
  const nodeBinary = join(root, "node_modules", "node", "bin", "node");
  const sources = ["package.json", "package-lock.json", "proto", "src", join("examples", "performer")];
  const packages = await runtimePackages();
  return {
    ref: PERFORMER_IMAGE,
    inputs: [
      join(root, "package-lock.json"),
      nodeBinary,
      ...sources.flatMap((s) =>
        statSync(join(root, s)).isDirectory() ? filesUnder(join(root, s)) : [join(root, s)],
      ),
    ],
    config: [
      "--entrypoint",
      '["/usr/local/bin/node","examples/performer/main.ts"]',
      "--workingdir",
      "/app",
      // Numeric, so that a Pod with runAsNonRoot (as the controller makes) can verify it is not root.
      "--user",
      "1000:1000",
      "--env",
      "NODE_ENV=production",
      "--env",
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "--port",
      "9090",
      "--port",
      "8090",
    ],
    async stage(rootfs) {
      await copyInto(rootfs, nodeBinary, "/usr/local/bin/node");
      for (const lib of await sharedLibraries(nodeBinary)) await copyInto(rootfs, lib);
      await mkdir(join(rootfs, "etc"), { recursive: true });
      await writeFile(
        join(rootfs, "etc", "passwd"),
        "root:x:0:0::/root:/bin/false\nnode:x:1000:1000::/app:/bin/false\n",
      );
      await writeFile(join(rootfs, "etc", "group"), "root:x:0:\nnode:x:1000:\n");
      await mkdir(join(rootfs, "tmp"));
      await chmod(join(rootfs, "tmp"), 0o1777);
      for (const s of sources) await cp(join(root, s), join(rootfs, "app", s), { recursive: true });
      for (const p of packages) {
        await cp(p, join(rootfs, "app", relative(root, p)), { recursive: true, verbatimSymlinks: true });
      }
    },
  };
}

function pauseImage(): ImageSpec {
  const pause = binaries().pause;
  return {
    ref: "localhost/hourglass/pause:1",
    inputs: [pause],
    config: ["--entrypoint", '["/pause"]'],
    stage: (rootfs) => copyInto(rootfs, pause, "/pause"),
  };
}

/** Builds the image's archive unless the cache holds it for these inputs. */
async function ensureImage(spec: ImageSpec): Promise<ImageArchive> {
  const dir = join(cacheDir(), "images");
  const name = spec.ref.replace(/^.*\//, "").replace(/[^a-z0-9.-]/gi, "-");
  const archive = join(dir, `${name}-${cacheKey(spec)}.tar`);
  if (existsSync(archive)) return { ref: spec.ref, archive };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "hourglass-image-"));
  // buildah's blob-info cache goes to /var/lib/containers whatever its --root says.
  const containersDirExisted = existsSync("/var/lib/containers");
  try {
    const rootfs = join(work, "rootfs");
    await mkdir(rootfs);
    await spec.stage(rootfs);
    await mkdir(join(work, "tmp"));
    const buildah = (args: string[]) =>
      run(
        "buildah",
        ["--root", join(work, "storage"), "--runroot", join(work, "run"), "--storage-driver", "vfs", ...args],
        { env: { ...process.env, TMPDIR: join(work, "tmp") }, maxBuffer: 16 << 20 },
      ).then((r) => r.stdout.trim());
    const container = await buildah(["from", "scratch"]);
    await buildah(["copy", container, rootfs, "/"]);
    await buildah(["config", ...spec.config, container]);
    await buildah([
      "commit",
      "--quiet",
      "--format",
      "oci",
      container,
      `oci-archive:${archive}.tmp:${spec.ref}`,
    ]);
    await buildah(["rm", container]);
    await rename(`${archive}.tmp`, archive);
    return { ref: spec.ref, archive };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(`${archive}.tmp`, { force: true });
    if (!containersDirExisted) await rm("/var/lib/containers", { recursive: true, force: true });
  }
}

/** The sandbox image first, then the sample performer's. */
export async function ensureNodeImages(): Promise<{ sandbox: ImageArchive; images: ImageArchive[] }> {
  const sandbox = await ensureImage(pauseImage());
  return { sandbox, images: [sandbox, await ensureImage(await performerImage())] };
}
