// The images the local cluster runs, staged from this checkout and this machine (no base image, no registry):
// the sandbox's pause; one image of the operator and executor and one of the sample performer, each as its
// Dockerfile builds it (the pinned Node.js that `npm ci` installed with the libraries it links, production
// packages only, the same sources, user 1000:1000, the same entrypoint); and cert-manager's three binaries.
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { chmod, chown, cp, mkdir, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { OPERATOR_NODE_FLAGS } from "../../src/cli/operator-node-options.ts";
import { binaries } from "./binaries.ts";
import { copyInto, ensureImage, filesUnder, type ImageArchive, type ImageSpec, root } from "./image-build.ts";

const run = promisify(execFile);

export type { ImageArchive } from "./image-build.ts";

export const PERFORMER_IMAGE = "docker.io/library/hourglass-example-performer:dev";
/** config/manager and config/executor name `hourglass-k8s:dev`, which containerd stores under this name. */
export const OPERATOR_IMAGE = "docker.io/library/hourglass-k8s:dev";
/** Debian's busybox-static. */
const BUSYBOX = "/bin/busybox";
export const CERT_MANAGER_COMMANDS = ["controller", "cainjector", "webhook"] as const;

/** The shared libraries a dynamically linked binary loads, as ldd resolves them on this machine. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run("ldd", [binary]);
  return [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

/** The packages `npm ci` installed that the project needs at run time (what `npm ci --omit=dev` installs). */
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

/** The user the Dockerfiles run as, numeric so that a Pod with runAsNonRoot can verify it is not root. */
async function unprivilegedUser(rootfs: string): Promise<void> {
  await mkdir(join(rootfs, "etc"), { recursive: true });
  await writeFile(
    join(rootfs, "etc", "passwd"),
    "root:x:0:0::/root:/bin/false\nnode:x:1000:1000::/app:/bin/false\n",
  );
  await writeFile(join(rootfs, "etc", "group"), "root:x:0:\nnode:x:1000:\n");
  await mkdir(join(rootfs, "tmp"));
  await chmod(join(rootfs, "tmp"), 0o1777);
}

/** Where the images keep Node's compile cache (NODE_COMPILE_CACHE): the TypeScript sources as type stripping left
 * them and V8's code for them, so that a start neither strips types again nor loads the stripper (~17 MiB of
 * WebAssembly per process; the operator's RSS after loading its modules is ~11 MiB lower and it starts ~0.2 s
 * sooner). Node keys the entries by its version, the V8 flags and the uid, so the image fills it as 1000 with the
 * flags the manifests start each program with; another uid or flag set only misses it. */
const COMPILE_CACHE = "/app/.node-compile-cache";

/** The environment the project's images give their processes. */
const IMAGE_ENV = {
  NODE_ENV: "production",
  PATH: "/usr/local/bin:/usr/bin:/bin",
  NODE_COMPILE_CACHE: COMPILE_CACHE,
};

/** A program as an image starts it (node's arguments, the script relative to /app, the working directory), run
 * inside the staged or unpacked file system `rootfs` as 1000:1000 with `env`. */
export function runInImage(rootfs: string, program: string[], env: NodeJS.ProcessEnv) {
  const args = program.map((arg) => (arg.endsWith(".ts") ? `/app/${arg}` : arg));
  return run("/usr/sbin/chroot", ["--userspec=1000:1000", rootfs, "/usr/local/bin/node", ...args], {
    env,
    maxBuffer: 64 << 20,
  });
}

/** Each program's module graph loaded once (`--help` imports all of it and exits), inside the staged image,
 * filling COMPILE_CACHE. */
async function fillCompileCache(rootfs: string, programs: string[][]): Promise<void> {
  await mkdir(join(rootfs, COMPILE_CACHE));
  await chown(join(rootfs, COMPILE_CACHE), 1000, 1000);
  for (const program of programs) await runInImage(rootfs, [...program, "--help"], IMAGE_ENV);
  // Node writes its entries 0600 and `buildah copy` gives every file to root: readable by all, they serve 1000.
  await run("chmod", ["-R", "a+rX", join(rootfs, COMPILE_CACHE)]);
}

/** An image of the project's Node.js programs: `sources` (relative to the checkout) under /app; `programs`, the
 * node arguments each program starts with (the script relative to /app, as the manifests give it). */
async function nodeProgramImage(
  ref: string,
  sources: string[],
  config: string[],
  programs: string[][],
): Promise<ImageSpec> {
  const nodeBinary = join(root, "node_modules", "node", "bin", "node");
  const packages = await runtimePackages();
  return {
    ref,
    inputs: [
      // How the image is staged decides it too (the compile cache's fill, for one).
      import.meta.filename,
      join(root, "package-lock.json"),
      nodeBinary,
      ...sources.flatMap((s) =>
        statSync(join(root, s)).isDirectory() ? filesUnder(join(root, s)) : [join(root, s)],
      ),
    ],
    config: [
      ...config,
      "--workingdir",
      "/app",
      "--user",
      "1000:1000",
      ...Object.entries(IMAGE_ENV).flatMap(([name, value]) => ["--env", `${name}=${value}`]),
    ],
    async stage(rootfs) {
      await copyInto(rootfs, nodeBinary, "/usr/local/bin/node");
      for (const lib of await sharedLibraries(nodeBinary)) await copyInto(rootfs, lib);
      await unprivilegedUser(rootfs);
      for (const s of sources) await cp(join(root, s), join(rootfs, "app", s), { recursive: true });
      for (const p of packages) {
        await cp(p, join(rootfs, "app", relative(root, p)), { recursive: true, verbatimSymlinks: true });
      }
      await fillCompileCache(rootfs, programs);
    },
  };
}

/** examples/performer/Dockerfile's image, with busybox's wget as /usr/local/bin/wget as the Dockerfile has it (the
 * guide's `kubectl exec -it performer-pod-name -- wget -qO- http://localhost:8090/health`). */
async function performerImage(): Promise<ImageSpec> {
  const sources = ["package.json", "package-lock.json", "proto", "src", join("examples", "performer")];
  const program = ["examples/performer/main.ts"];
  const spec = await nodeProgramImage(
    PERFORMER_IMAGE,
    sources,
    ["--entrypoint", JSON.stringify(["/usr/local/bin/node", ...program]), "--port", "9090", "--port", "8090"],
    [program],
  );
  return {
    ...spec,
    inputs: [...spec.inputs, BUSYBOX],
    async stage(rootfs) {
      await spec.stage(rootfs);
      await copyInto(rootfs, BUSYBOX, "/usr/local/bin/wget");
    },
  };
}

/** The Dockerfile's image: `node src/cli/operator.ts` by default, `node src/cli/executor.ts run ...` as well. */
function operatorImage(): Promise<ImageSpec> {
  const sources = ["package.json", "src", "webhooks", "controllers", "proto"];
  const operator = [...OPERATOR_NODE_FLAGS, "src/cli/operator.ts"];
  return nodeProgramImage(
    OPERATOR_IMAGE,
    sources,
    ["--entrypoint", '["node"]', "--cmd", JSON.stringify(operator)],
    [operator, ["src/cli/executor.ts"]],
  );
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

/** cert-manager's controller, cainjector and webhook (build-cert-manager.sh), each started by its Deployment;
 * tagged as their cache directory is named (version and the mains' content), so that a rebuild rolls out. */
export function certManagerImage(binDir: string): Promise<ImageArchive> {
  const files = CERT_MANAGER_COMMANDS.map((c) => join(binDir, `cert-manager-${c}`));
  return ensureImage({
    ref: `localhost/hourglass/cert-manager:${basename(binDir)}`,
    inputs: files,
    config: ["--user", "1000:1000"],
    async stage(rootfs) {
      for (const file of files) await copyInto(rootfs, file, `/usr/local/bin/${file.split("/").pop()}`);
      await unprivilegedUser(rootfs);
    },
  });
}

/** CoreDNS (build.sh's, static), run by the node as deployment/coredns in kube-system. */
function corednsImage(): ImageSpec {
  const coredns = binaries().coredns;
  return {
    ref: `localhost/hourglass/coredns:${basename(dirname(coredns))}`,
    inputs: [coredns],
    config: ["--entrypoint", '["/coredns"]'],
    stage: (rootfs) => copyInto(rootfs, coredns, "/coredns"),
  };
}

/** Debian's busybox-static (node-packages.sh), every applet a link to it as in the busybox image: the guide's
 * debug image (`kubectl run test-dns --image=busybox:1.35 ... nslookup`), tagged with its own version. */
async function busyboxImage(): Promise<ImageSpec> {
  const { stdout: version } = await run(BUSYBOX, ["--help"]).catch((e: { stdout: string }) => e);
  const [, major, minor] = /BusyBox v(\d+)\.(\d+)/.exec(version) ?? [];
  if (!major)
    throw new Error(`${BUSYBOX} printed no version: run \`bash test/controlplane/node-packages.sh\``);
  const { stdout: list } = await run(BUSYBOX, ["--list-full"]);
  return {
    ref: `docker.io/library/busybox:${major}.${minor}`,
    inputs: [BUSYBOX],
    config: ["--cmd", '["sh"]', "--env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    async stage(rootfs) {
      await copyInto(rootfs, BUSYBOX, "/bin/busybox");
      for (const applet of list.split("\n").filter((a) => a && a !== "bin/busybox")) {
        await mkdir(join(rootfs, dirname(applet)), { recursive: true });
        await symlink("/bin/busybox", join(rootfs, applet));
      }
      await mkdir(join(rootfs, "tmp"));
      await chmod(join(rootfs, "tmp"), 0o1777);
    },
  };
}

/** The sandbox image first, then CoreDNS, the sample performer and the guide's debug image. */
export async function ensureNodeImages(): Promise<{
  sandbox: ImageArchive;
  coredns: ImageArchive;
  images: ImageArchive[];
}> {
  const sandbox = await ensureImage(pauseImage());
  const coredns = await ensureImage(corednsImage());
  const images = [
    sandbox,
    coredns,
    await ensureImage(await performerImage()),
    await ensureImage(await busyboxImage()),
  ];
  return { sandbox, coredns, images };
}

/** `make image`: the operator/executor image and the sample performer's. */
export async function ensureProjectImages(): Promise<ImageArchive[]> {
  return [await ensureImage(await operatorImage()), await ensureImage(await performerImage())];
}
