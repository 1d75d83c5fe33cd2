// Images without a registry or a Docker engine: buildah (from Debian) turns a directory staged from this machine
// into an OCI archive from scratch, cached under ~/.cache/hourglass/images by the content of its inputs, and
// written atomically (a half-built archive never carries the final name). node.ts imports archives into the
// node's containerd.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { cacheDir } from "./binaries.ts";

const run = promisify(execFile);
export const root = join(import.meta.dirname, "..", "..");

export interface ImageArchive {
  /** The reference the kubelet asks for, fully qualified as containerd stores it. */
  ref: string;
  archive: string;
}

export interface ImageSpec {
  ref: string;
  /** Copies the image's files into `rootfs`. */
  stage(rootfs: string): Promise<void>;
  /** The files whose content decides the image (the cache key). */
  inputs: string[];
  /** `buildah config` flags: entrypoint, user, environment, ports. */
  config: string[];
}

export function filesUnder(dir: string): string[] {
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

export async function copyInto(rootfs: string, file: string, target = file): Promise<void> {
  await mkdir(dirname(join(rootfs, target)), { recursive: true });
  await cp(file, join(rootfs, target), { dereference: true });
}

/** Builds the image's archive unless the cache holds it for these inputs. */
export async function ensureImage(spec: ImageSpec): Promise<ImageArchive> {
  const dir = join(cacheDir(), "images");
  const name = spec.ref.replace(/^.*\//, "").replace(/[^a-z0-9.-]/gi, "-");
  const archive = join(dir, `${name}-${cacheKey(spec)}.tar`);
  if (existsSync(archive)) return { ref: spec.ref, archive };
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), "hourglass-image-"));
  const partial = `${archive}.${process.pid}.tmp`;
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
    await buildah(["commit", "--quiet", "--format", "oci", container, `oci-archive:${partial}:${spec.ref}`]);
    await buildah(["rm", container]);
    await rename(partial, archive);
    return { ref: spec.ref, archive };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(partial, { force: true });
    if (!containersDirExisted) await rm("/var/lib/containers", { recursive: true, force: true });
  }
}
