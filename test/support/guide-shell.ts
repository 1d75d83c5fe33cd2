// A troubleshooting-guide command as a user types it: through bash (pipes, redirections and heredocs as written),
// with the test cluster's kubectl first on PATH and KUBECONFIG set, stdin closed as in a script.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { testCluster } from "./cluster.ts";

const root = join(import.meta.dirname, "..", "..");

export interface Shell {
  code: number;
  out: string;
}

/** The environment a guide command runs in: this cluster's kubectl and kubeconfig. */
export function guideEnv(): NodeJS.ProcessEnv {
  const cluster = testCluster();
  return {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    PATH: `${cluster.binDir}:${process.env.PATH}`,
  };
}

/** Runs `command` with bash -o pipefail in `cwd` (the checkout by default): its exit code and all it printed. */
export function sh(command: string, cwd = root): Promise<Shell> {
  return new Promise((resolve) => {
    const child = execFile(
      "bash",
      ["-o", "pipefail", "-c", command],
      { cwd, maxBuffer: 64 << 20, timeout: 300_000, env: guideEnv() },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          out: `${stdout}${stderr}`,
        }),
    );
    child.stdin?.end();
  });
}

/** `sh`, asserting exit 0; what it printed. */
export async function runs(command: string, cwd?: string): Promise<string> {
  const result = await sh(command, cwd);
  assert.equal(result.code, 0, `${command}\n${result.out}`);
  return result.out;
}
