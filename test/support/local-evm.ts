// A local EVM for the tests: Hardhat 3's node (EDR) as a child process on 127.0.0.1 and a port of its own, no
// forking, telemetry off. It can be stopped and started again on the same port (a chain that goes away and comes
// back); its state does not survive that, so callers install their contracts again.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../controlplane/controlplane.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const CONFIG = join(import.meta.dirname, "hardhat", "hardhat.config.js");
const START_DEADLINE_MS = 30_000;

export interface LocalEvm {
  rpcUrl: string;
  port: number;
  /** Stops the node (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with a fresh state. */
  restart(): Promise<void>;
}

async function answersChainId(rpcUrl: string): Promise<boolean> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function spawnNode(port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    [CLI, "--config", CONFIG, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: ROOT,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { child, output: () => text };
}

async function waitUntilServing(rpcUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  while (!(await answersChainId(rpcUrl))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the local EVM exited before serving (${child.exitCode ?? child.signalCode}): ${output()}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`the local EVM did not serve ${rpcUrl} within 30 s: ${output()}`);
    await sleep(100);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function startLocalEvm(): Promise<LocalEvm> {
  const port = await freePort();
  const rpcUrl = `http://127.0.0.1:${port}`;
  let current = spawnNode(port);
  const start = async () => {
    try {
      await waitUntilServing(rpcUrl, current.child, current.output);
    } catch (error) {
      await stopChild(current.child);
      throw error;
    }
  };
  await start();
  return {
    rpcUrl,
    port,
    stop: () => stopChild(current.child),
    async restart() {
      await stopChild(current.child);
      current = spawnNode(port);
      await start();
    },
  };
}
