// `make dev`: the whole system on this machine, on the real (local) kube-apiserver. Brings up the control plane, the
// operator, the sample performer and an executor (one task goes through them), applies config/samples/ and a Performer that must be refused, and says what happened: what was
// admitted, what was defaulted, what was rejected and why. Stays up until Ctrl-C, then stops everything it started.
// `--detach` leaves it running for scripts (`make dev-up`); `--down` stops it (`make dev-down`).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { controlPlaneUp, DEV_WEBHOOK_PORT, LOCAL_DIR, STATE_DIR } from "../test/controlplane/cli.ts";
import { stopControlPlane } from "../test/controlplane/controlplane.ts";
import { startOperator } from "../test/controlplane/operator-process.ts";
import { startDevAvs } from "./dev/avs.ts";

const root = join(import.meta.dirname, "..");
const PIDS = join(LOCAL_DIR, "dev-pids.json");

const HELP = `Usage: node scripts/dev.ts [--detach | --down]

Starts the local control plane, the operator (webhooks on https://127.0.0.1:${DEV_WEBHOOK_PORT}, the controller), the sample performer and an executor
routing to it; applies config/samples/ and scripts/dev/rejected-performer.yaml, and prints what was admitted, defaulted and refused.
  (no flag)  stay in the foreground until Ctrl-C, then stop everything
  --detach   leave everything running and exit (make dev-up)
  --down     stop what --detach started (make dev-down)
Logs: ${join(STATE_DIR, "logs")}
`;

const say = (line: string) => process.stdout.write(`${line}\n`);

function stopPid(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

async function down(): Promise<void> {
  if (existsSync(PIDS)) {
    for (const pid of JSON.parse(readFileSync(PIDS, "utf8")) as number[]) stopPid(pid);
    await rm(PIDS);
  }
  await stopControlPlane(STATE_DIR);
  say("dev environment stopped");
}

async function showSamples(
  kubectl: (args: string[]) => Promise<{ ok: boolean; out: string }>,
): Promise<void> {
  const applied = await kubectl(["apply", "-k", join(root, "config", "samples")]);
  say(`\n$ kubectl apply -k config/samples\n${applied.out}`);
  const stored = await kubectl([
    "get",
    "performer",
    "my-avs",
    "-n",
    "my-avs-project",
    "-o",
    "jsonpath={.spec}",
  ]);
  if (stored.ok) {
    say("admitted and defaulted (spec as stored; the sample set only avsAddress, image and version):");
    say(JSON.stringify(JSON.parse(stored.out), null, 2));
  }
  const rejected = await kubectl(["apply", "-f", join(root, "scripts", "dev", "rejected-performer.yaml")]);
  say(`\n$ kubectl apply -f scripts/dev/rejected-performer.yaml   (expected to be refused)\n${rejected.out}`);
  const listed = await kubectl(["get", "performers", "-A"]);
  say(`$ kubectl get performers -A\n${listed.out}`);
}

async function up(detach: boolean): Promise<void> {
  say("starting the local control plane (the first run builds it from source: 10-20 minutes)...");
  const cp = await controlPlaneUp();
  say(
    `control plane: ${cp.server} (Kubernetes ${cp.binaries.kubernetesVersion}, etcd ${cp.binaries.etcdVersion})`,
  );
  const operator = await startOperator({
    kubeconfigPath: cp.kubeconfigPath,
    webhookPort: DEV_WEBHOOK_PORT,
    webhookCertDir: cp.pki.webhookCertDir,
    controller: true,
    logFile: join(STATE_DIR, "logs", "operator.log"),
    detached: detach,
  });
  say(
    `operator: webhooks https://127.0.0.1:${DEV_WEBHOOK_PORT}, metrics http://127.0.0.1:${operator.metricsPort}/metrics`,
  );
  const avs = await startDevAvs(join(LOCAL_DIR, "dev"), join(STATE_DIR, "logs"), detach);
  const processes = [operator, ...avs.processes];
  await writeFile(PIDS, JSON.stringify(processes.map((p) => p.child.pid)));
  for (const line of avs.summary) say(line);

  const run = promisify(execFile);
  const kubectl = (args: string[]) =>
    run(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...args]).then(
      (r) => ({ ok: true, out: r.stdout }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
  await showSamples(kubectl);
  say(`\nkubectl: export KUBECONFIG=${cp.kubeconfigPath}; PATH=${cp.binaries.binDir}:$PATH`);
  say(`logs: ${join(STATE_DIR, "logs")}`);
  if (detach) {
    for (const p of processes) p.child.unref();
    say("running detached; `make dev-down` stops it");
    return;
  }
  say("running; Ctrl-C stops everything");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  say("\nstopping...");
  await Promise.all(processes.map((p) => p.stop()));
  await rm(PIDS, { force: true });
  await stopControlPlane(STATE_DIR);
  say("stopped; nothing left running");
}

const { values } = parseArgs({
  options: { detach: { type: "boolean" }, down: { type: "boolean" }, help: { type: "boolean", short: "h" } },
});
if (values.help) say(HELP);
else if (values.down) await down();
else await up(values.detach ?? false);
