// cert-manager's CRDs on the run's control plane (from its pinned Go module), so that the apiserver accepts the
// Issuers and Certificates that config/certmanager and the chart create, as in a cluster that runs cert-manager.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { certManagerCrdDir } from "../controlplane/binaries.ts";
import { waitEstablished } from "../controlplane/install.ts";
import { kubectl } from "./cluster.ts";

export async function installCertManagerCrds(): Promise<void> {
  const crds = await certManagerCrdDir();
  const run = async (args: string[]) => {
    const result = await kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  for (const file of readdirSync(crds).filter((f) => f.endsWith(".yaml"))) {
    await run(["apply", "--server-side", "-f", join(crds, file)]);
  }
  await waitEstablished(run, ["certificates.cert-manager.io", "issuers.cert-manager.io"]);
}
