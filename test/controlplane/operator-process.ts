// Runs the operator as a real process against the local control plane, the way `make dev` and the test suites do.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { openSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./controlplane.ts";

const root = join(import.meta.dirname, "..", "..");
const node = join(root, "node_modules", ".bin", "node");

export interface OperatorProcess {
  child: ChildProcess;
  metricsPort: number;
  stop(): Promise<void>;
}

export interface OperatorOptions {
  kubeconfigPath: string;
  /** 0 runs no webhook server. */
  webhookPort: number;
  webhookCertDir: string;
  controller: boolean;
  logFile: string;
  extraArgs?: string[];
  /** Leave the process running after this one exits (its own process group; stop it by its PID). */
  detached?: boolean;
}

export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const args = [
    join(root, "src", "cli", "operator.ts"),
    `--kubeconfig=${options.kubeconfigPath}`,
    "--metrics-host=127.0.0.1",
    `--metrics-port=${metricsPort}`,
    ...(options.webhookPort > 0
      ? [
          "--webhook-host=127.0.0.1",
          `--webhook-port=${options.webhookPort}`,
          `--webhook-cert-dir=${options.webhookCertDir}`,
        ]
      : ["--no-webhooks"]),
    ...(options.controller ? [] : ["--no-controller"]),
    ...(options.extraArgs ?? []),
  ];
  const log = openSync(options.logFile, "a");
  const child = spawn(node, args, {
    detached: options.detached ?? false,
    stdio: ["ignore", log, log],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "debug" },
  });
  const exited = once(child, "exit");
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the operator exited with ${child.exitCode}; see ${options.logFile}`);
    const ok = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the operator was not ready within 30s; see ${options.logFile}`);
    }
    await sleep(100);
  }
  return {
    child,
    metricsPort,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
