// What integration and end-to-end tests share: the run's control plane (see test/integration/global-setup.ts),
// kubectl against it, and a namespace of their own per test.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node";
import { PooledKubeConfig } from "../../src/kube/kubeconfig.ts";

export interface TestCluster {
  kubeconfigPath: string;
  binDir: string;
  /** Directory for logs and state of this run. */
  stateDir: string;
  webhookCertDir: string;
  kubeConfig(): KubeConfig;
}

export function testCluster(): TestCluster {
  const kubeconfigPath = process.env.HOURGLASS_TEST_KUBECONFIG;
  const binDir = process.env.HOURGLASS_TEST_BIN_DIR;
  if (!kubeconfigPath || !binDir) {
    throw new Error(
      "no local control plane: run through `make test-integration` or pass --test-global-setup=test/integration/global-setup.ts",
    );
  }
  return {
    kubeconfigPath,
    binDir,
    stateDir: process.env.HOURGLASS_TEST_STATE_DIR!,
    webhookCertDir: process.env.HOURGLASS_TEST_WEBHOOK_CERT_DIR!,
    kubeConfig() {
      const kc = new PooledKubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the control plane's own kubectl (the machine's may be too old for this apiserver). Never throws on exit code. */
export function kubectl(args: string[], options: { input?: string } = {}): Promise<KubectlResult> {
  const cluster = testCluster();
  return new Promise((resolve) => {
    const child = execFile(
      join(cluster.binDir, "kubectl"),
      [`--kubeconfig=${cluster.kubeconfigPath}`, ...args],
      { maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? "");
  });
}

/** Creates a namespace for one test and deletes it (without waiting) when the test ends. */
export async function useNamespace(t: TestContext, prefix = "t"): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`.toLowerCase();
  const created = await kubectl(["create", "namespace", name]);
  if (created.code !== 0) throw new Error(`kubectl create namespace ${name}: ${created.stderr}`);
  t.after(async () => {
    await kubectl(["delete", "namespace", name, "--wait=false"]);
  });
  return name;
}

/** A kubeconfig file that authenticates as a ServiceAccount (a token for 1 h), as a process in its Pod would. */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const run = async (args: string[]) => {
    const result = await kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  const token = (await run(["create", "token", name, "-n", namespace, "--duration=1h"])).trim();
  const admin = await run(["config", "view", "--raw", "--minify", "-o", "json"]);
  const { clusters } = JSON.parse(admin) as { clusters: { cluster: Record<string, string> }[] };
  const path = join(testCluster().stateDir, `${namespace}-${name}.kubeconfig`);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: clusters[0]!.cluster }],
    users: [{ name, user: { token } }],
    contexts: [{ name: "local", context: { cluster: "local", user: name } }],
    "current-context": "local",
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return path;
}
