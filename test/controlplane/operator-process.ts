// Runs the operator (and other entry points) as real processes against the local control plane, the way `make dev` and the test suites do.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { openSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { withClusterDns } from "./cluster-dns.ts";
import { freePort } from "./controlplane.ts";

const root = join(import.meta.dirname, "..", "..");
const node = join(root, "node_modules", ".bin", "node");

export interface NodeProcess {
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface OperatorProcess extends NodeProcess {
  metricsPort: number;
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
  /** Node's own flags, before the script (the benchmarks pass the deployed OPERATOR_NODE_FLAGS). */
  nodeFlags?: readonly string[];
  /** Added to its environment (LOG_LEVEL is debug unless set here or in this process's environment). */
  env?: NodeJS.ProcessEnv;
}

export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const args = [
    ...(options.nodeFlags ?? []),
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
  const started = await startNodeProcess({
    name: "the operator",
    args,
    logFile: options.logFile,
    readyUrl: `http://127.0.0.1:${metricsPort}/readyz`,
    detached: options.detached,
    ...(options.env ? { env: options.env } : {}),
  });
  return { ...started, metricsPort };
}

/** Runs a TypeScript entry point with the project's Node and resolves once `readyUrl` answers 2xx (30 s at most). */
export async function startNodeProcess(options: {
  name: string;
  args: string[];
  logFile: string;
  readyUrl: string;
  detached?: boolean;
  /** Resolve names through the local node's CoreDNS (see cluster-dns.ts). */
  resolvConf?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}): Promise<NodeProcess> {
  const log = openSync(options.logFile, "a");
  const [command, args] = options.resolvConf
    ? withClusterDns(options.resolvConf, node, options.args)
    : [node, options.args];
  const child = spawn(command, args, {
    detached: options.detached ?? false,
    stdio: ["ignore", log, log],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "debug", ...options.env },
  });
  const exited = once(child, "exit");
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${options.name} exited with ${child.exitCode}; see ${options.logFile}`);
    const ok = await fetch(options.readyUrl).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${options.name} was not ready within 30s; see ${options.logFile}`);
    }
    await sleep(100);
  }
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
