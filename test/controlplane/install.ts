// Installs what the project needs on a fresh control plane: the Performer CRD (from config/crd, the generated
// manifest a cluster install uses too), the operator's namespace and the webhook registrations.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { localWebhookConfigurations } from "../../webhooks/registrations.ts";
import type { ControlPlane } from "./controlplane.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

export async function kubectlAt(cp: ControlPlane, args: string[], input?: string): Promise<string> {
  const child = run(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...args], {
    maxBuffer: 16 << 20,
  });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

/** The Performer CRD from config/crd, once the apiserver serves it. */
export async function installCrd(cp: ControlPlane): Promise<void> {
  await kubectlAt(cp, ["apply", "--server-side", "--force-conflicts", "-k", join(root, "config", "crd")]);
  await waitEstablished((args) => kubectlAt(cp, args), ["performers.hourglass.eigenlayer.io"]);
}

/**
 * Waits until each CRD is Established. `kubectl wait --for=condition=Established` fails at once ("accessor error:
 * <nil>") when it reads a CRD before the apiserver has written any condition, as happens right after an apply on a
 * busy machine; reading the condition until it says True does not.
 */
export async function waitEstablished(
  kubectl: (args: string[]) => Promise<string>,
  crds: string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const jsonpath = '-o=jsonpath={.status.conditions[?(@.type=="Established")].status}';
  for (const crd of crds) {
    while ((await kubectl(["get", "crd", crd, jsonpath])).trim() !== "True") {
      if (Date.now() > deadline) throw new Error(`CRD ${crd} not Established within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }
}

export async function installProject(cp: ControlPlane, webhookBaseUrl: string): Promise<void> {
  await installCrd(cp);
  await kubectlAt(cp, ["create", "namespace", "hourglass-system", "--dry-run=client", "-o", "yaml"]).then(
    (yaml) => kubectlAt(cp, ["apply", "-f", "-"], yaml),
  );
  const configs = localWebhookConfigurations(webhookBaseUrl, readFileSync(cp.pki.caCert, "utf8"));
  await kubectlAt(
    cp,
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: configs }),
  );
}
