// `make cluster-up` / `make cluster-down`: the local cluster alone (control plane and a real node, detached), for
// `make deploy-local` to install into as it would into kind. Nothing of the project is installed: that is the
// deploy's job. Its state is in .local/cluster, its kubeconfig .local/cluster/kubeconfig.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  runningControlPlane,
  startControlPlane,
  stopControlPlane,
} from "../test/controlplane/controlplane.ts";
import { startNode, stopNode } from "../test/controlplane/node.ts";
import { CLUSTER_DIR, CLUSTER_KUBECTL } from "./cluster-dir.ts";

const root = join(import.meta.dirname, "..");
const say = (line: string) => process.stdout.write(`${line}\n`);

async function down(): Promise<void> {
  const cp = runningControlPlane(CLUSTER_DIR);
  if (cp) await stopNode(cp);
  await stopControlPlane(CLUSTER_DIR);
  await rm(CLUSTER_KUBECTL, { force: true });
}

async function up(): Promise<void> {
  const cp = await startControlPlane(CLUSTER_DIR);
  try {
    await startNode(cp, {
      owner: `make cluster-up in ${root}`,
      detached: true,
      onWait: (holder) => say(`waiting for the local node's lock (${holder})...`),
    });
  } catch (error) {
    await down();
    throw error;
  }
  await writeFile(
    CLUSTER_KUBECTL,
    `#!/bin/sh\nexec '${cp.binaries.kubectl}' --kubeconfig='${cp.kubeconfigPath}' "$@"\n`,
    { mode: 0o755 },
  );
  say(`local cluster up: ${cp.server}, node Ready; kubectl: ${CLUSTER_KUBECTL}`);
  say(`  export KUBECONFIG=${cp.kubeconfigPath}; PATH=${cp.binaries.binDir}:$PATH`);
}

const { positionals } = parseArgs({ allowPositionals: true });
if (positionals[0] === "up") await up();
else if (positionals[0] === "down") await down();
else {
  process.stderr.write("Usage: node scripts/cluster.ts <up|down>\n");
  process.exitCode = 2;
}
// The node's detached processes keep pipes of ours open; they are not ours to wait for.
process.exit();
