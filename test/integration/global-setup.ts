// One control plane per test run (node --test --test-global-setup): started before the first test file, torn
// down after the last. Test files run in child processes and find it through the environment set here.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { destroyControlPlane, freePort, startControlPlane } from "../controlplane/controlplane.ts";
import { installProject } from "../controlplane/install.ts";
import { reclaimNode } from "../controlplane/node.ts";
import { type OperatorProcess, startOperator } from "../controlplane/operator-process.ts";

let dir: string | undefined;
let operator: OperatorProcess | undefined;

export async function globalSetup(): Promise<void> {
  try {
    await setUp();
  } catch (error) {
    // node --test runs no globalTeardown after a failed globalSetup.
    await globalTeardown();
    throw error;
  }
}

async function setUp(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), "hourglass-test-"));
  const started = Date.now();
  const cp = await startControlPlane(dir);
  const webhookPort = await freePort();
  await installProject(cp, `https://127.0.0.1:${webhookPort}`);
  // Admission for the whole run comes from the real operator process, as in a cluster.
  operator = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    webhookPort,
    webhookCertDir: cp.pki.webhookCertDir,
    controller: false,
    logFile: join(dir, "logs", "operator-webhooks.log"),
  });
  process.env.HOURGLASS_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.HOURGLASS_TEST_BIN_DIR = cp.binaries.binDir;
  process.env.HOURGLASS_TEST_STATE_DIR = dir;
  process.env.HOURGLASS_TEST_WEBHOOK_CERT_DIR = cp.pki.webhookCertDir;
  process.stderr.write(
    `local control plane ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${cp.server} (state ${dir})\n`,
  );
}

export async function globalTeardown(): Promise<void> {
  await operator?.stop();
  // A test file that crashed with the node up left it to us.
  if (dir) await reclaimNode(dir);
  if (dir && !process.env.HOURGLASS_TEST_KEEP) await destroyControlPlane(dir);
}
