// Starts and stops a real control plane on loopback: etcd, kube-apiserver and kube-controller-manager, as envtest
// runs them for Go operators, plus the garbage collector, namespace, endpointslice, endpoints and service-account
// controllers so that owner references, namespace deletion and Service endpoints behave as in a cluster. The
// apiserver is ready for a node (node.ts adds one with kube-scheduler); without it, Pods stay Pending unless a test
// writes their status. Everything lives under one state directory: data, certificates, logs, pid files and the
// kubeconfig, so `down` can find what `up` started.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Binaries, binaries, ensureBinaries } from "./binaries.ts";
import { ensurePki, type Pki, pkiPaths } from "./pki.ts";

export interface ControlPlane {
  dir: string;
  server: string;
  kubeconfigPath: string;
  pki: Pki;
  binaries: Binaries;
}

interface State {
  server: string;
  pids: Record<string, number>;
  /** Kept so that restartApiserver can start it again exactly as before. */
  apiserverArgs: string[];
  /** Likewise for restartEtcd. */
  etcdArgs?: string[];
}

const READY_TIMEOUT_MS = 120_000;
/** Service IPs (the range reserved for benchmark networks, beside the Pods' 198.18.0.0/24); never routed out. */
export const SERVICE_RANGE = "198.19.0.0/16";
/** The node's address on its Pod bridge (node-config.ts), which the apiserver advertises. */
export const NODE_ADDRESS = "198.18.0.1";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("could not allocate a port");
  return address.port;
}

/** Whether a process with this PID exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(dir: string): State | undefined {
  const file = join(dir, "state.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as State) : undefined;
}

/** The running components' process ids by name (etcd, kube-apiserver, kube-controller-manager). */
export function controlPlanePids(dir: string): Record<string, number> {
  const state = readState(dir);
  if (!state) throw new Error(`no control plane state in ${dir}`);
  return state.pids;
}

/** Data written under another Service range would keep Services the apiserver cannot serve: start afresh. */
async function forgetDataOfAnotherServiceRange(dir: string): Promise<void> {
  const marker = join(dir, "service-range");
  const recorded = existsSync(marker) ? readFileSync(marker, "utf8").trim() : undefined;
  if (recorded !== SERVICE_RANGE) {
    await rm(join(dir, "etcd"), { recursive: true, force: true });
    await writeFile(marker, `${SERVICE_RANGE}\n`);
  }
}

/** Spawns a component detached (its own process group), with its output in `<dir>/logs/<name>.log`. */
export function startProcess(
  dir: string,
  name: string,
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  const log = openSync(join(dir, "logs", `${name}.log`), "a");
  const child = spawn(command, args, {
    stdio: ["ignore", log, log],
    detached: true,
    env: env ?? process.env,
  });
  child.unref();
  return child;
}

/** A GET as the cluster admin (the PKI's client certificate); resolves with any status. */
export function get(url: string, pki: Pki): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 5000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  dir: string,
  pids: number[],
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dead = pids.filter((pid) => !alive(pid));
    if (dead.length > 0) {
      throw new Error(`${what}: a control-plane process exited early; see the logs in ${join(dir, "logs")}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(
    `${what}: not ready after ${READY_TIMEOUT_MS / 1000}s; see the logs in ${join(dir, "logs")}`,
  );
}

/** A kubeconfig for `server` that authenticates with a client certificate (the admin's unless told). */
export function kubeconfig(
  server: string,
  pki: Pki,
  client = { cert: pki.adminCert, key: pki.adminKey },
): string {
  const b64 = (file: string) => readFileSync(file).toString("base64");
  return `apiVersion: v1
kind: Config
clusters:
- name: hourglass-local
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.caCert)}
users:
- name: admin
  user:
    client-certificate-data: ${b64(client.cert)}
    client-key-data: ${b64(client.key)}
contexts:
- name: hourglass-local
  context:
    cluster: hourglass-local
    user: admin
    namespace: default
current-context: hourglass-local
`;
}

function describe(dir: string, server: string, pki: Pki, bins: Binaries): ControlPlane {
  return { dir, server, kubeconfigPath: join(dir, "kubeconfig"), pki, binaries: bins };
}

/** The control plane that runs in `dir`, if one does, without starting anything. */
export function runningControlPlane(dir: string): ControlPlane | undefined {
  const state = readState(dir);
  if (!state) return undefined;
  return describe(dir, state.server, pkiPaths(join(dir, "pki")), binaries());
}

/**
 * Starts the control plane in `dir`, or returns the one already running there (idempotent). Resolves once the
 * apiserver's /readyz is ok and the `default` namespace exists.
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  const bins = await ensureBinaries();
  await mkdir(join(dir, "logs"), { recursive: true });
  const pki = await ensurePki(join(dir, "pki"));
  const existing = readState(dir);
  if (existing && Object.values(existing.pids).every(alive)) {
    return describe(dir, existing.server, pki, bins);
  }
  await stopControlPlane(dir);
  try {
    return await launch(dir, bins, pki);
  } catch (error) {
    // Nothing half-started outlives a failed start: each process is in state.json from the moment it runs.
    await stopControlPlane(dir);
    throw error;
  }
}

async function launch(dir: string, bins: Binaries, pki: Pki): Promise<ControlPlane> {
  const [etcdClient, etcdPeer, apiserverPort, kcmPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  await forgetDataOfAnotherServiceRange(dir);
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  const etcdArgs = [
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
  const etcd = startProcess(dir, "etcd", bins.etcd, etcdArgs);

  const server = `https://127.0.0.1:${apiserverPort}`;
  const apiserverArgs = [
    `--etcd-servers=${etcdUrl}`,
    `--secure-port=${apiserverPort}`,
    "--bind-address=127.0.0.1",
    // The `kubernetes` Service's endpoint: the node's relay there (apiserver-relay.ts) brings Pods to loopback.
    `--advertise-address=${NODE_ADDRESS}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_RANGE}`,
    // A node's kubelet is authorized as its Node, and may only change its own Node and its Pods.
    "--authorization-mode=Node,RBAC",
    // As hardened clusters (OpenShift among them) run it: setting blockOwnerDeletion on a child needs update
    // on the owner's finalizers, which the operator's RBAC must then grant.
    "--enable-admission-plugins=OwnerReferencesPermissionEnforcement,NodeRestriction",
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    `--kubelet-certificate-authority=${pki.caCert}`,
    // Reach a kubelet at its Node's IP: resolving the node's name would ask the machine's resolver, off the machine.
    "--kubelet-preferred-address-types=InternalIP",
    "--allow-privileged=true",
    "--profiling=false",
  ];
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({ server, pids: { etcd: etcd.pid! }, apiserverArgs, etcdArgs } satisfies State),
  );
  const apiserver = startProcess(dir, "kube-apiserver", bins.kubeApiserver, apiserverArgs);

  const kubeconfigPath = join(dir, "kubeconfig");
  await writeFile(kubeconfigPath, kubeconfig(server, pki), { mode: 0o600 });
  const pids = { etcd: etcd.pid!, "kube-apiserver": apiserver.pid! };
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({ server, pids, apiserverArgs, etcdArgs } satisfies State),
  );

  await waitFor(
    "kube-apiserver",
    async () => (await get(`${server}/readyz`, pki)).status === 200,
    dir,
    Object.values(pids),
  );

  const kcm = startProcess(dir, "kube-controller-manager", bins.kubeControllerManager, [
    `--kubeconfig=${kubeconfigPath}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${kcmPort}`,
    "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    "--use-service-account-credentials=false",
    "--leader-elect=false",
    "--controllers=garbage-collector-controller,namespace-controller,endpointslice-controller,endpoints-controller,serviceaccount-controller,serviceaccount-token-controller",
  ]);
  const allPids = { ...pids, "kube-controller-manager": kcm.pid! };
  await writeFile(
    join(dir, "state.json"),
    JSON.stringify({ server, pids: allPids, apiserverArgs, etcdArgs } satisfies State),
  );

  await waitFor(
    "namespace default",
    async () =>
      (await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, pki)).status === 200,
    dir,
    Object.values(allPids),
  );
  return describe(dir, server, pki, bins);
}

/**
 * Kills kube-apiserver and starts it again with the same flags (same port, same etcd, so no data is lost), as a
 * crash would: every watch is cut at once and clients must reconnect. Resolves once it is ready. (A SIGTERM
 * looks the same to clients, a minute later: a terminating apiserver holds its watches open for up to 60 s.)
 */
export async function restartApiserver(dir: string): Promise<void> {
  await restart(dir, "kube-apiserver");
}

/**
 * Kills etcd and starts it again on the same data and ports, as a crash would: the apiserver's requests fail
 * until it is back. Resolves once the apiserver is ready again.
 */
export async function restartEtcd(dir: string): Promise<void> {
  await restart(dir, "etcd");
}

async function restart(dir: string, name: "kube-apiserver" | "etcd"): Promise<void> {
  const state = readState(dir);
  if (!state) throw new Error(`no control plane runs in ${dir}`);
  const args = name === "etcd" ? state.etcdArgs : state.apiserverArgs;
  if (!args) throw new Error(`the control plane in ${dir} was started without recording ${name}'s flags`);
  const pid = state.pids[name]!;
  process.kill(pid, "SIGKILL");
  while (alive(pid)) await sleep(100);
  const bins = binaries();
  const restarted = startProcess(dir, name, name === "etcd" ? bins.etcd : bins.kubeApiserver, args);
  const pids = { ...state.pids, [name]: restarted.pid! };
  await writeFile(join(dir, "state.json"), JSON.stringify({ ...state, pids } satisfies State));
  const pki = pkiPaths(join(dir, "pki"));
  await waitFor(name, async () => (await get(`${state.server}/readyz`, pki)).status === 200, dir, [
    restarted.pid!,
  ]);
}

/** Stops what `startControlPlane(dir)` started: SIGTERM, then SIGKILL after 10 s. Leaves data and certificates. */
export async function stopControlPlane(dir: string): Promise<void> {
  const state = readState(dir);
  if (!state) return;
  // Reverse start order: the controller manager first, etcd last, so the apiserver does not log a storm of errors.
  const pids = Object.values(state.pids).reverse();
  for (const pid of pids) {
    if (alive(pid)) process.kill(pid, "SIGTERM");
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
  // Gone, not just signalled: whoever runs next (or checks) must not find them.
  const killDeadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < killDeadline) await sleep(50);
  await rm(join(dir, "state.json"), { force: true });
}

/** Stops the control plane and removes its state directory. */
export async function destroyControlPlane(dir: string): Promise<void> {
  await stopControlPlane(dir);
  await rm(dir, { recursive: true, force: true });
}
