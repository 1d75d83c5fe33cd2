// `make controlplane-up` / `make controlplane-down`: the local control plane for development, its state in
// .local/controlplane and its kubeconfig at .local/kubeconfig. The webhook registrations point at the port the
// operator serves on by default (9443), so `npm run operator` on this machine admits what kubectl applies.
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startControlPlane, stopControlPlane } from "./controlplane.ts";
import { installProject } from "./install.ts";

const root = join(import.meta.dirname, "..", "..");
/** HOURGLASS_LOCAL_DIR moves it, for tests that run `make dev` beside a developer's own. */
export const LOCAL_DIR = process.env.HOURGLASS_LOCAL_DIR ?? join(root, ".local");
export const STATE_DIR = join(LOCAL_DIR, "controlplane");
export const KUBECONFIG = join(LOCAL_DIR, "kubeconfig");
export const DEV_WEBHOOK_PORT = Number(process.env.HOURGLASS_DEV_WEBHOOK_PORT ?? 9443);

const HELP = `Usage: node test/controlplane/cli.ts <up|down>

  up     start etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (or reuse the running ones), install
         the Performer CRD, the hourglass-system namespace and the webhook registrations
         (https://127.0.0.1:${DEV_WEBHOOK_PORT}/...), and write ${KUBECONFIG}
  down   stop them; data and certificates stay in ${STATE_DIR}
`;

export async function controlPlaneUp() {
  const cp = await startControlPlane(STATE_DIR);
  await installProject(cp, `https://127.0.0.1:${DEV_WEBHOOK_PORT}`);
  await copyFile(cp.kubeconfigPath, KUBECONFIG);
  return cp;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  switch (positionals[0]) {
    case "up": {
      const cp = await controlPlaneUp();
      process.stdout.write(
        `control plane up: ${cp.server} (Kubernetes ${cp.binaries.kubernetesVersion}, etcd ${cp.binaries.etcdVersion})\n` +
          `  export KUBECONFIG=${KUBECONFIG}\n  kubectl: ${cp.binaries.kubectl}\n  logs: ${join(STATE_DIR, "logs")}\n`,
      );
      return 0;
    }
    case "down":
      await stopControlPlane(STATE_DIR);
      process.stdout.write("control plane stopped\n");
      return 0;
    default:
      process.stderr.write(HELP);
      return 2;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
