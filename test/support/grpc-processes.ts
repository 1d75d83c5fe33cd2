// Real processes for end-to-end tests: the sample performer and the executor, started with the project's Node on
// 127.0.0.1 and free ports, found ready through their JSON "listening"/"executor serving" log lines.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { withClusterDns } from "../controlplane/cluster-dns.ts";

const NODE = new URL("../../node_modules/.bin/node", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

export interface TestProcess {
  child: ChildProcess;
  /** Every JSON line the process has written to stdout so far. */
  logs: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited in `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

/** `resolvConf`: run with that file as /etc/resolv.conf, to resolve cluster names through the local node's DNS. */
export function startNodeProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  resolvConf?: string,
): TestProcess {
  const [command, argv] = resolvConf ? withClusterDns(resolvConf, NODE, args) : [NODE, args];
  const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, LOG_LEVEL: "info", ...env } });
  // Under the global setup, every process's output is also kept with the run's logs, for post-mortems.
  const stateDir = process.env.HOURGLASS_TEST_STATE_DIR;
  if (stateDir) {
    mkdirSync(join(stateDir, "logs"), { recursive: true });
    const file = createWriteStream(join(stateDir, "logs", `${basename(args[0]!, ".ts")}-${child.pid}.log`));
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  const logs: LogLine[] = [];
  const waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const w of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    waitForLog(match, timeoutMs = 60_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${stderr}`)),
          timeoutMs,
        );
        exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before the expected log line; stderr:\n${stderr}`));
        });
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        exited.finally(() => clearTimeout(timer));
      }
      return exited;
    },
  };
}

/** What the sample performer answers for a payload: its SHA-256, computed here as the oracle the tests check. */
export function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

export interface SamplePerformerProcess extends TestProcess {
  grpcPort: number;
  healthPort: number;
  address: string;
}

export async function startSamplePerformer(
  options: { delayMs?: number; grpcPort?: number } = {},
): Promise<SamplePerformerProcess> {
  const proc = startNodeProcess([
    "examples/performer/main.ts",
    "--host=127.0.0.1",
    `--grpc-port=${options.grpcPort ?? 0}`,
    "--health-port=0",
    `--delay-ms=${options.delayMs ?? 0}`,
  ]);
  const line = await proc.waitForLog((l) => l.msg === "listening");
  const grpcPort = line.grpcPort as number;
  return { ...proc, grpcPort, healthPort: line.healthPort as number, address: `127.0.0.1:${grpcPort}` };
}

export interface ExecutorProcess extends TestProcess {
  ports: { grpc: number; management: number; health: number; metrics: number; profiling?: number };
  grpcAddress: string;
}

/** `hourglass-executor run --config FILE` on free loopback ports; resolves once it serves gRPC. */
export async function startExecutorProcess(
  configPath: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; resolvConf?: string } = {},
): Promise<ExecutorProcess> {
  const proc = startNodeProcess(
    [
      "src/cli/executor.ts",
      "run",
      "--config",
      configPath,
      "--host=127.0.0.1",
      "--grpc-port=0",
      "--health-port=0",
      "--metrics-port=0",
      "--profiling-port=0",
      ...(options.args ?? []),
    ],
    options.env,
    options.resolvConf,
  );
  const line = await proc.waitForLog((l) => l.msg === "executor serving");
  const ports = line.ports as ExecutorProcess["ports"];
  return { ...proc, ports, grpcAddress: `127.0.0.1:${ports.grpc}` };
}
