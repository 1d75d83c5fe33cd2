// `make cert-manager-local`: cert-manager in the local cluster, as a user installs it in kind before
// `make deploy`: its controller, cainjector and webhook built from the published Go module (pinned in
// versions.env, cached; test/controlplane/build-cert-manager.sh), one image around the three binaries, imported
// into the node's containerd, the module's CRDs and test/controlplane/cert-manager/manifests.yaml applied, and the
// wait until cert-manager's own webhook has its CA injected and answers. `--uninstall` removes all of it.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { certManagerCrdDir, pinnedVersions } from "../test/controlplane/binaries.ts";
import { runningControlPlane } from "../test/controlplane/controlplane.ts";
import { importImages } from "../test/controlplane/node.ts";
import { certManagerImage } from "../test/controlplane/node-images.ts";
import { CLUSTER_DIR, CLUSTER_KUBECTL } from "./cluster-dir.ts";

const run = promisify(execFile);
const here = join(import.meta.dirname, "..", "test", "controlplane");
const say = (line: string) => process.stdout.write(`${line}\n`);
const kubectl = (args: string[], input?: string) => {
  const child = run(CLUSTER_KUBECTL, args, { maxBuffer: 16 << 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  return child.then((r) => r.stdout);
};

async function manifests(image = "unused"): Promise<string> {
  const text = await readFile(join(here, "cert-manager", "manifests.yaml"), "utf8");
  return text.replaceAll("$" + "{CERT_MANAGER_IMAGE}", image);
}

async function install(): Promise<void> {
  const cp = runningControlPlane(CLUSTER_DIR);
  if (!cp) throw new Error("the local cluster is not running: `make cluster-up` starts it");
  const started = Date.now();
  const { stdout } = await run("bash", [join(here, "build-cert-manager.sh")], { maxBuffer: 64 << 20 });
  const image = await certManagerImage(stdout.trim());
  await importImages(cp, [image.archive]);
  say(`cert-manager ${pinnedVersions().certManager}: ${image.ref} imported`);
  await kubectl(["apply", "--server-side", "-f", await certManagerCrdDir()]);
  await kubectl(["apply", "--server-side", "-f", "-"], await manifests(image.ref));
  for (const name of ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"]) {
    await kubectl(["-n", "cert-manager", "rollout", "status", `deployment/${name}`, "--timeout=180s"]);
  }
  // cert-manager's webhook is in the path of every cert-manager object: ready once the apiserver can call it.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await kubectl(
      ["apply", "--dry-run=server", "-f", "-"],
      JSON.stringify({
        apiVersion: "cert-manager.io/v1",
        kind: "Issuer",
        metadata: { name: "readiness-probe", namespace: "cert-manager" },
        spec: { selfSigned: {} },
      }),
    ).then(
      () => undefined,
      (e: Error) => e,
    );
    if (!ok) break;
    if (Date.now() > deadline) throw new Error(`cert-manager's webhook does not answer: ${ok.message}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  say(`cert-manager ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function uninstall(): Promise<void> {
  await kubectl(["delete", "--ignore-not-found", "--wait=true", "-f", "-"], await manifests());
  await kubectl(["delete", "--ignore-not-found", "-f", await certManagerCrdDir()]);
  say("cert-manager removed");
}

const { values } = parseArgs({ options: { uninstall: { type: "boolean" } } });
await (values.uninstall ? uninstall() : install());
