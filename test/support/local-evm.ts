// A local EVM for the tests: Hardhat 3's node (EDR) as a child process on 127.0.0.1 (or another local address, such
// as the local node's bridge for Pods to reach), no forking, telemetry off.
// It binds port 0 and says which port it got, so that runs of several worktrees at once never meet. It can be
// stopped and started again on the same port (a chain that goes away and comes back); its state does not survive
// that, so callers install their contracts again. `make dev` runs one too, with a log file instead of pipes, so
// that it can outlive the script that started it (--detach).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const CONFIG = join(import.meta.dirname, "hardhat", "hardhat.config.js");
const START_DEADLINE_MS = 30_000;

export interface LocalEvm {
  rpcUrl: string;
  port: number;
  /** The node's process (the current one, after a restart). */
  readonly child: ChildProcess;
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

/** The node's line once it listens: "Started HTTP and WebSocket JSON-RPC server at http://HOST:N/". */
const STARTED = /JSON-RPC server at http:\/\/[^/:]+:(\d+)\//;

interface NodeChild {
  child: ChildProcess;
  output: () => string;
  /** The port it said it listens on; 0 until then. */
  port: () => number;
}

export interface LocalEvmOptions {
  /** Where the node writes its output; it then runs in its own process group, and `port` must be given. */
  logFile?: string;
  /** 0 (the default) lets the node pick a free port. */
  port?: number;
  /** The address it listens on: 127.0.0.1 unless told (an address of this machine). */
  hostname?: string;
}

function spawnNode(hostname: string, port: number, logFile?: string): NodeChild {
  const args = [CLI, "--config", CONFIG, "node", "--hostname", hostname, "--port", String(port)];
  const env = { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true", NO_COLOR: "1" };
  if (logFile) {
    const log = openSync(logFile, "a");
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      stdio: ["ignore", log, log],
      detached: true,
    });
    return { child, output: () => readFileSync(logFile, "utf8").slice(-4_000), port: () => port };
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  let listening = 0;
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4_000);
    // Read before the account list that follows pushes the line out of what is kept.
    listening ||= Number(STARTED.exec(text)?.[1] ?? 0);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  return { child, output: () => text, port: () => listening };
}

async function waitUntilServing(
  node: NodeChild,
  hostname: string,
): Promise<{ port: number; rpcUrl: string }> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const port = node.port();
    const rpcUrl = `http://${hostname}:${port}`;
    if (port > 0 && (await answersChainId(rpcUrl))) return { port, rpcUrl };
    const { child } = node;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the local EVM exited before serving (${child.exitCode ?? child.signalCode}): ${node.output()}`,
      );
    }
    if (Date.now() > deadline) throw new Error(`the local EVM did not serve within 30 s: ${node.output()}`);
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

export async function startLocalEvm(options: LocalEvmOptions = {}): Promise<LocalEvm> {
  if (options.logFile && !options.port) throw new Error("startLocalEvm: a log file needs a port");
  const hostname = options.hostname ?? "127.0.0.1";
  let current = spawnNode(hostname, options.port ?? 0, options.logFile);
  const start = async () => {
    try {
      return await waitUntilServing(current, hostname);
    } catch (error) {
      await stopChild(current.child);
      throw error;
    }
  };
  const { port, rpcUrl } = await start();
  return {
    rpcUrl,
    port,
    get child() {
      return current.child;
    },
    stop: () => stopChild(current.child),
    async restart() {
      await stopChild(current.child);
      current = spawnNode(hostname, port, options.logFile);
      await start();
    },
  };
}
