// `make dev`: the whole system on this machine: the local control plane, a real node, the operator (webhooks and
// controller), config/samples/ with a Performer that must be refused, a local EVM, and an executor in kubernetes
// mode whose performer runs as a Pod on the node and answers one task, signed the upstream way, through its
// Service name. Says what happened at each
// step. Stays up until Ctrl-C, then stops everything it started — also when a step failed, when Ctrl-C came during
// the start, and when the output goes through a pipe that the same Ctrl-C closed (`make dev 2>&1 | tee log`).
// `--detach` leaves it running for scripts (`make dev-up`); `--down` stops it (`make dev-down`).
// `--mode docker` (`make dev MODE=docker`) runs no cluster: a private Docker Engine API (podman's) and an executor
// in docker mode that runs the sample performer as a container on hourglass-network; its teardown removes the
// containers, the network and the engine with everything it did to the host.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { controlPlaneUp, DEV_WEBHOOK_PORT, LOCAL_DIR, STATE_DIR } from "../test/controlplane/cli.ts";
import {
  alive,
  type ControlPlane,
  runningControlPlane,
  stopControlPlane,
} from "../test/controlplane/controlplane.ts";
import { type LocalNode, startNode, stopNode } from "../test/controlplane/node.ts";
import { type NodeProcess, startOperator } from "../test/controlplane/operator-process.ts";
import type { PodmanEngineRecord } from "../test/support/podman-engine.ts";
import { DEV_NAMESPACE, demoTask, startDevAvs } from "./dev/avs.ts";
import { DOCKER_DIR, downDocker, upDocker } from "./dev/docker.ts";

const root = join(import.meta.dirname, "..");
const PIDS = join(LOCAL_DIR, "dev-pids.json");
const AVS_DIR = join(LOCAL_DIR, "dev");

const HELP = `Usage: node scripts/dev.ts [--mode kubernetes|docker] [--detach | --down]

Starts the local control plane and node, the operator (webhooks on https://127.0.0.1:${DEV_WEBHOOK_PORT}, the
controller), a local EVM and an executor in kubernetes mode; applies config/samples/ and scripts/dev/rejected-performer.yaml,
prints what was admitted, defaulted and refused, waits for the performers' Pods to be Ready, sends a task signed by
the AVS's aggregator through the executor and checks its result as Hourglass's aggregator does.
  (no flag)  stay in the foreground until Ctrl-C, then stop everything
  --detach   leave everything running and exit (make dev-up)
  --down     stop what --detach started (make dev-down), in either mode
  --mode docker  no cluster: a private Docker Engine API (podman's) in ${DOCKER_DIR}, and an executor in docker
             mode running the sample performer as a container on hourglass-network (make dev MODE=docker)
Logs: ${join(STATE_DIR, "logs")} (docker mode: ${join(DOCKER_DIR, "logs")})
`;

// The same Ctrl-C that stops us ends `tee`: a write to the closed pipe must not end the cleanup.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});
const say = (line: string) => process.stdout.write(`${line}\n`);

function stopPid(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

async function waitGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 75_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
}

/** Stops, in order, what --detach (or a start that failed) left: executor and operator, node, control plane. */
async function down(): Promise<void> {
  if (existsSync(PIDS)) {
    const pids = JSON.parse(readFileSync(PIDS, "utf8")) as number[];
    // The executor first: it deletes its Performers, which the operator's controller must still finalize.
    for (const pid of pids) {
      stopPid(pid);
      await waitGone([pid]);
    }
    await rm(PIDS);
  }
  await downDocker();
  const cp = runningControlPlane(STATE_DIR);
  if (cp) await stopNode(cp);
  await stopControlPlane(STATE_DIR);
  say("dev environment stopped");
}

type Kubectl = (args: string[]) => Promise<{ ok: boolean; out: string }>;

function kubectlFor(cp: ControlPlane): Kubectl {
  const run = promisify(execFile);
  return (args) =>
    run(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...args]).then(
      (r) => ({ ok: true, out: r.stdout }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
}

async function showSamples(kubectl: Kubectl): Promise<void> {
  const applied = await kubectl(["apply", "-k", join(root, "config", "samples")]);
  say(`\n$ kubectl apply -k config/samples\n${applied.out}`);
  const stored = await kubectl(["get", "performer", "my-avs", "-n", DEV_NAMESPACE, "-o", "jsonpath={.spec}"]);
  if (stored.ok) {
    say("admitted and defaulted (spec as stored; the sample set only avsAddress, image and version):");
    say(JSON.stringify(JSON.parse(stored.out), null, 2));
  }
  const rejected = await kubectl(["apply", "-f", join(root, "scripts", "dev", "rejected-performer.yaml")]);
  say(`\n$ kubectl apply -f scripts/dev/rejected-performer.yaml   (expected to be refused)\n${rejected.out}`);
}

async function showRunning(kubectl: Kubectl, signal: AbortSignal): Promise<void> {
  say("waiting for the sample performer's Pod to be Ready (its readiness probe starts after 30 s)...");
  const started = Date.now();
  const waited = await kubectl([
    "wait",
    "performer/my-avs",
    "-n",
    DEV_NAMESPACE,
    "--for=jsonpath={.status.phase}=Running",
    "--timeout=180s",
  ]);
  signal.throwIfAborted();
  if (!waited.ok) say(`the sample performer is not Running: ${waited.out}`);
  else say(`sample performer Running ${((Date.now() - started) / 1000).toFixed(0)} s later`);
  say(
    `\n$ kubectl get pods -n ${DEV_NAMESPACE} -o wide\n${(await kubectl(["get", "pods", "-n", DEV_NAMESPACE, "-o", "wide"])).out}`,
  );
  say(`$ kubectl get performers -A\n${(await kubectl(["get", "performers", "-A"])).out}`);
}

/** Everything started so far, for the cleanup that follows Ctrl-C or a failed step. */
interface Started {
  node?: LocalNode;
  processes: NodeProcess[];
  /** docker mode: what stopPodmanEngine undoes. */
  engine?: PodmanEngineRecord;
}

/** The webhooks' port must be free before anything starts: the message says so, instead of a stack trace. */
async function checkWebhookPort(): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE"
            ? `port ${DEV_WEBHOOK_PORT} on 127.0.0.1 is in use (another \`make dev\`, or an operator started by hand?): the operator's webhooks need it; stop what holds it (\`ss -ltnp 'sport = :${DEV_WEBHOOK_PORT}'\` shows it)`
            : `port ${DEV_WEBHOOK_PORT}: ${error.message}`,
        ),
      ),
    );
    server.listen(DEV_WEBHOOK_PORT, "127.0.0.1", resolve);
  });
  await new Promise((resolve) => server.close(resolve));
}

async function up(detach: boolean, signal: AbortSignal, started: Started): Promise<void> {
  await checkWebhookPort();
  say("starting the local control plane (the first run builds it from source: 15-25 minutes)...");
  const cp = await controlPlaneUp();
  say(
    `control plane: ${cp.server} (Kubernetes ${cp.binaries.kubernetesVersion}, etcd ${cp.binaries.etcdVersion})`,
  );
  signal.throwIfAborted();
  const operator = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    webhookPort: DEV_WEBHOOK_PORT,
    webhookCertDir: cp.pki.webhookCertDir,
    controller: true,
    logFile: join(STATE_DIR, "logs", "operator.log"),
    detached: detach,
  });
  started.processes.unshift(operator);
  await writeFile(PIDS, JSON.stringify(started.processes.map((p) => p.child.pid)));
  say(
    `operator: webhooks https://127.0.0.1:${DEV_WEBHOOK_PORT}, metrics http://127.0.0.1:${operator.metricsPort}/metrics`,
  );
  const t0 = Date.now();
  const node = await startNode(cp, {
    owner: `make dev in ${root}`,
    detached: detach,
    signal,
    onWait: (holder) => say(`waiting for the local node's lock (${holder})...`),
  });
  started.node = node;
  say(`node ${node.name} Ready at ${node.ip} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const kubectl = kubectlFor(cp);
  await showSamples(kubectl);
  signal.throwIfAborted();
  const avs = await startDevAvs({
    dir: AVS_DIR,
    logs: join(STATE_DIR, "logs"),
    mode: { kind: "kubernetes", kubeconfigPath: cp.kubeconfigPath, resolvConf: node.resolvConf },
    detached: detach,
  });
  started.processes.unshift(...avs.processes);
  await writeFile(PIDS, JSON.stringify(started.processes.map((p) => p.child.pid)));
  for (const line of avs.summary) say(line);
  await showRunning(kubectl, signal);
  for (const line of await demoTask(avs, signal)) say(line);
  say(`\nkubectl: export KUBECONFIG=${cp.kubeconfigPath}; PATH=${cp.binaries.binDir}:$PATH`);
  say(`logs: ${join(STATE_DIR, "logs")}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      detach: { type: "boolean" },
      down: { type: "boolean" },
      mode: { type: "string", default: "kubernetes" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    say(HELP);
    return 0;
  }
  if (values.down) {
    await down();
    return 0;
  }
  if (values.mode !== "kubernetes" && values.mode !== "docker") {
    process.stderr.write(`--mode: "${values.mode}" is not a mode; write kubernetes or docker\n`);
    return 2;
  }
  const docker = values.mode === "docker";
  const detach = values.detach ?? false;
  const stopping = new AbortController();
  const onSignal = () => {
    if (!stopping.signal.aborted) say("\nstopping (after the step in progress)...");
    stopping.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const started: Started = { processes: [] };
  let code = 0;
  try {
    if (docker) {
      await upDocker(detach, stopping.signal, {
        onEngine: (record) => {
          started.engine = record;
        },
        onProcesses: async (processes) => {
          started.processes.unshift(...processes);
          await writeFile(PIDS, JSON.stringify(started.processes.map((p) => p.child.pid)));
        },
        say,
      });
    } else {
      await up(detach, stopping.signal, started);
    }
    if (detach) {
      for (const p of started.processes) p.child.unref();
      say("running detached; `make dev-down` stops it");
      return 0;
    }
    say("running; Ctrl-C stops everything");
    await new Promise((resolve) => stopping.signal.addEventListener("abort", resolve, { once: true }));
  } catch (error) {
    if (!stopping.signal.aborted) {
      say(`\nmake dev failed: ${(error as Error).message}\nstopping what it started...`);
      code = 1;
    }
  }
  // Foreground, or a detached start that failed: nothing stays behind.
  for (const p of started.processes) await p.stop();
  await rm(PIDS, { force: true });
  if (docker) {
    // Only what this run made: a control plane started by other means stays.
    if (started.engine) await downDocker(started.engine);
    say("stopped; no container, network or engine left");
    return code;
  }
  await started.node?.stop();
  if (!started.node) {
    const cp = runningControlPlane(STATE_DIR);
    if (cp) await stopNode(cp);
  }
  await stopControlPlane(STATE_DIR);
  say("stopped; nothing left running");
  return code;
}

process.exitCode = await main();
