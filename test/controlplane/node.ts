// A real node for the local control plane: containerd (private root, state and socket) with Debian's runc and
// CNI plugins, a kubelet registered as Node `hourglass-node` with a client certificate in system:nodes, kube-proxy
// for Service IPs, CoreDNS for cluster.local, kube-scheduler, and a second kube-controller-manager with the
// controllers a node needs. The node's host-global resources are guarded by a machine-wide lock (node-lock.ts),
// and everything it makes on the host is recorded (node-host.ts) so that `stopNode` — or the next holder of the
// lock, after a holder that died — takes it all down again.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { type ControlPlane, freePort, get, kubeconfig, startProcess, waitFor } from "./controlplane.ts";
import {
  cniConflist,
  containerdConfig,
  corednsManifests,
  kubeletConfig,
  kubeProxyConfig,
  NODE,
  type NodePaths,
  registryHosts,
  resolvConf,
} from "./node-config.ts";
import {
  createBridge,
  createCgroups,
  emptyRecord,
  forwardOnBridge,
  isRunning,
  missingFixedPaths,
  type NodeRecord,
  processRef,
  readRecord,
  shareMount,
  stopProcesses,
  teardownHost,
  writeRecord,
} from "./node-host.ts";
import { ensureNodeImages } from "./node-images.ts";
import { acquireNodeLock, type NodeLock, releaseDetachedLock } from "./node-lock.ts";
import { signedCert } from "./pki.ts";

const run = promisify(execFile);

/** The kernel tunables the kubelet insists on (it would write them, or with protectKernelDefaults refuse to run). */
const KUBELET_SYSCTLS: Record<string, string> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

export interface LocalNode {
  name: string;
  ip: string;
  /** A resolv.conf naming CoreDNS, for processes on the host that must resolve cluster.local names. */
  resolvConf: string;
  /**
   * Deletes the node's Pods through the kubelet (so CNI DEL runs), then takes everything down and releases the
   * lock, unless `keepLock` (a test that checks the host first, before another run's node may start).
   */
  stop(options?: { keepLock?: boolean }): Promise<void>;
  releaseLock(): Promise<void>;
}

export interface NodeOptions {
  /** Said to another run that waits for the lock. */
  owner: string;
  /** Leave the node running after this process exits (make dev-up); `stopNode` ends it. */
  detached?: boolean;
  signal?: AbortSignal;
  onWait?: (holder: string) => void;
  /** Runs once the lock is held and any node a dead holder left is gone, before anything is set up. */
  onLocked?: () => Promise<void>;
}

export function nodePaths(dir: string): NodePaths {
  return {
    dir,
    containerdRoot: join(dir, "containerd", "root"),
    containerdState: join(dir, "containerd", "state"),
    containerdSocket: join(dir, "containerd", "containerd.sock"),
    cniConfDir: join(dir, "cni", "net.d"),
    cniBinDir: "/usr/lib/cni",
    ipamDir: join(dir, "cni", "ipam"),
    registryHostsDir: join(dir, "containerd", "certs.d"),
    kubeletRoot: join(dir, "kubelet"),
    kubeletCertDir: join(dir, "pki"),
    podLogsDir: join(dir, "pod-logs"),
    volumePluginDir: join(dir, "volume-plugins"),
    resolvConf: join(dir, "resolv.conf"),
  };
}

function nodeDir(cp: ControlPlane): string {
  return join(cp.dir, "node");
}

/** What the node needs to find its lock holder again (make dev-down from another process). */
interface NodeState {
  lockPid: number;
}

async function writeFiles(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, text);
  }
}

async function nodeCerts(cp: ControlPlane, p: NodePaths) {
  await mkdir(p.kubeletCertDir, { recursive: true });
  const client = {
    cert: join(p.kubeletCertDir, "kubelet-client.crt"),
    key: join(p.kubeletCertDir, "kubelet-client.key"),
  };
  const serving = { cert: join(p.kubeletCertDir, "kubelet.crt"), key: join(p.kubeletCertDir, "kubelet.key") };
  if (!existsSync(client.cert)) {
    await signedCert(
      cp.pki,
      client,
      `/O=system:nodes/CN=system:node:${NODE.name}`,
      "extendedKeyUsage=clientAuth",
    );
  }
  if (!existsSync(serving.cert)) {
    await signedCert(
      cp.pki,
      serving,
      `/CN=${NODE.name}`,
      `subjectAltName=IP:${NODE.ip},DNS:${NODE.name}\nextendedKeyUsage=serverAuth`,
    );
  }
  return { client, serving };
}

/**
 * The kubelet runs in a mount namespace of its own where the kernel tunables it checks read as it wants them, so
 * that it neither writes the machine's (kernel.panic, vm.overcommit_memory, ...) nor refuses to start. Its root
 * directory is a shared mount, so the volumes it mounts for Pods still show on the host for containerd.
 */
async function kubeletLauncher(p: NodePaths, kubelet: string, args: string[]): Promise<string[]> {
  const lines = ["set -e"];
  for (const [name, wanted] of Object.entries(KUBELET_SYSCTLS)) {
    const path = `/proc/sys/${name}`;
    if (readFileSync(path, "utf8").trim() === wanted) continue;
    const fake = join(p.dir, "sysctl", name.replaceAll("/", "."));
    await writeFiles({ [fake]: `${wanted}\n` });
    lines.push(`mount --bind '${fake}' '${path}'`);
  }
  lines.push(`exec '${kubelet}' ${args.map((a) => `'${a}'`).join(" ")}`);
  const script = join(p.dir, "kubelet.sh");
  await writeFile(script, `${lines.join("\n")}\n`);
  return ["--mount", "--propagation", "unchanged", "sh", script];
}

async function ctr(cp: ControlPlane, p: NodePaths, args: string[]): Promise<string> {
  const { stdout } = await run(
    join(cp.binaries.containerdDir, "ctr"),
    ["--address", p.containerdSocket, "-n", "k8s.io", ...args],
    {
      maxBuffer: 16 << 20,
    },
  );
  return stdout;
}

async function importArchives(cp: ControlPlane, p: NodePaths, archives: string[]): Promise<void> {
  for (const archive of archives)
    await ctr(cp, p, ["images", "import", "--snapshotter", "overlayfs", archive]);
}

/** Imports image archives into the containerd of the node running on `cp` (make image-load). */
export async function importImages(cp: ControlPlane, archives: string[]): Promise<void> {
  if (!existsSync(join(nodeDir(cp), "node.json"))) {
    throw new Error("the local node is not running: `make cluster-up` starts it");
  }
  await importArchives(cp, nodePaths(nodeDir(cp)), archives);
}

async function kubectl(cp: ControlPlane, args: string[]): Promise<string> {
  const { stdout } = await run(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...args], {
    maxBuffer: 16 << 20,
  });
  return stdout;
}

/** What the node needs from the machine besides what build.sh makes: a clear message naming the fix. */
function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("the local node needs root (it makes a bridge, cgroups and mounts); run as root");
  }
  const needed = {
    "/usr/sbin/runc": "runc",
    "/usr/lib/cni/bridge": "containernetworking-plugins",
    "/usr/bin/buildah": "buildah",
    "/usr/sbin/nft": "nftables",
    "/bin/busybox": "busybox-static",
  };
  const missing = Object.entries(needed)
    .filter(([path]) => !existsSync(path))
    .map(([, pkg]) => pkg);
  if (missing.length > 0) {
    throw new Error(
      `the local node needs the Debian packages ${missing.join(", ")}: run \`bash test/controlplane/node-packages.sh\` (or apt-get install ${missing.join(" ")})`,
    );
  }
}

/** Starts the node against `cp` (waiting for the machine-wide lock first) and resolves once its Node is Ready. */
export async function startNode(cp: ControlPlane, options: NodeOptions): Promise<LocalNode> {
  checkPrerequisites();
  const lock = await acquireNodeLock({ ...options });
  const dir = nodeDir(cp);
  const p = nodePaths(dir);
  let record: NodeRecord | undefined;
  try {
    // A holder that died left its node behind: it is nobody's now, and in the way.
    const stale = await readRecord();
    if (stale) await teardownHost(stale, nodePaths(stale.dir).containerdSocket);
    await options.onLocked?.();
    const { sandbox, coredns, images } = await ensureNodeImages();
    record = emptyRecord(dir);
    record.created = missingFixedPaths();
    await writeRecord(record);
    await mkdir(join(cp.dir, "logs"), { recursive: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "node.json"), JSON.stringify({ lockPid: lock.pid } satisfies NodeState));
    await launchNode(
      cp,
      p,
      record,
      { sandbox: sandbox.ref, coredns: coredns.ref },
      images.map((i) => i.archive),
      options.signal,
    );
  } catch (error) {
    if (record) await teardownHost(record, p.containerdSocket);
    await lock.release();
    throw error;
  }
  return describeNode(cp, p, lock);
}

function describeNode(cp: ControlPlane, p: NodePaths, lock: Pick<NodeLock, "release">): LocalNode {
  return {
    name: NODE.name,
    ip: NODE.ip,
    resolvConf: p.resolvConf,
    async stop(options) {
      await stopNodeWith(cp, p);
      if (!options?.keepLock) await lock.release();
    },
    releaseLock: () => lock.release(),
  };
}

async function launchNode(
  cp: ControlPlane,
  p: NodePaths,
  record: NodeRecord,
  refs: { sandbox: string; coredns: string },
  archives: string[],
  signal?: AbortSignal,
): Promise<void> {
  const logs = cp.dir;
  const [
    kubeletPort,
    kubeletHealthz,
    proxyHealthz,
    proxyMetrics,
    dnsHealth,
    dnsReady,
    schedulerPort,
    kcmPort,
  ] = (await Promise.all(Array.from({ length: 8 }, freePort))) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const certs = await nodeCerts(cp, p);
  const kubeletKubeconfig = join(p.dir, "kubelet.kubeconfig");
  await writeFiles({
    [join(p.dir, "containerd", "config.toml")]: containerdConfig(p, refs.sandbox),
    [join(p.registryHostsDir, "_default", "hosts.toml")]: registryHosts(),
    [join(p.cniConfDir, "10-hourglass.conflist")]: cniConflist(p),
    [join(p.dir, "kubelet.yaml")]: kubeletConfig(
      p,
      { kubelet: kubeletPort, healthz: kubeletHealthz },
      { caCert: cp.pki.caCert, servingCert: certs.serving.cert, servingKey: certs.serving.key },
    ),
    [kubeletKubeconfig]: kubeconfig(cp.server, cp.pki, certs.client),
    [join(p.dir, "kube-proxy.yaml")]: kubeProxyConfig(cp.kubeconfigPath, {
      healthz: proxyHealthz,
      metrics: proxyMetrics,
    }),
    [p.resolvConf]: resolvConf(),
  });
  await mkdir(p.ipamDir, { recursive: true });
  await createBridge(record);
  await forwardOnBridge(record);
  await createCgroups(record);
  await shareMount(record, p.kubeletRoot);

  const started = async (name: string, command: string, args: string[], env?: NodeJS.ProcessEnv) => {
    signal?.throwIfAborted();
    const child = startProcess(logs, name, command, args, env);
    record.processes[name] = processRef(child.pid!);
    await writeRecord(record);
    return record.processes[name]!;
  };
  const until = (what: string, check: () => Promise<boolean>) =>
    waitFor(
      what,
      check,
      logs,
      Object.values(record.processes).map((r) => r.pid),
    );

  // containerd finds its shim, and the shim runc, on PATH.
  const path = `${cp.binaries.containerdDir}:/usr/sbin:/usr/bin:/sbin:/bin`;
  await started(
    "containerd",
    join(cp.binaries.containerdDir, "containerd"),
    ["--config", join(p.dir, "containerd", "config.toml")],
    {
      ...process.env,
      PATH: path,
    },
  );
  await started("apiserver-relay", process.execPath, [
    join(import.meta.dirname, "apiserver-relay.ts"),
    NODE.ip,
    new URL(cp.server).port,
  ]);
  await until(
    "containerd",
    async () => existsSync(p.containerdSocket) && (await ctr(cp, p, ["version"])).length > 0,
  );
  await importArchives(cp, p, archives);

  await started("kube-scheduler", cp.binaries.kubeScheduler, [
    `--kubeconfig=${cp.kubeconfigPath}`,
    `--authentication-kubeconfig=${cp.kubeconfigPath}`,
    `--authorization-kubeconfig=${cp.kubeconfigPath}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${schedulerPort}`,
    "--leader-elect=false",
  ]);
  await started("kube-controller-manager-node", cp.binaries.kubeControllerManager, [
    `--kubeconfig=${cp.kubeconfigPath}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${kcmPort}`,
    "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
    `--root-ca-file=${cp.pki.caCert}`,
    "--leader-elect=false",
    // The node lifecycle controller takes the not-ready taint off a Ready Node (nothing is scheduled before),
    // the root-CA publisher makes the kube-root-ca.crt ConfigMap that ServiceAccount token volumes need; the
    // Deployment and ReplicaSet controllers run what `make deploy` installs; the ResourceQuota controller counts
    // what a namespace's Pods use, which the quota admission then holds new Pods to.
    "--controllers=node-lifecycle-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,ttl-controller,taint-eviction-controller,deployment-controller,replicaset-controller,resourcequota-controller",
  ]);
  await started("kube-proxy", cp.binaries.kubeProxy, [`--config=${join(p.dir, "kube-proxy.yaml")}`], {
    ...process.env,
    PATH: path,
  });
  const kubeletArgs = [
    `--config=${join(p.dir, "kubelet.yaml")}`,
    `--kubeconfig=${kubeletKubeconfig}`,
    `--root-dir=${p.kubeletRoot}`,
    `--cert-dir=${p.kubeletCertDir}`,
    `--hostname-override=${NODE.name}`,
    `--node-ip=${NODE.ip}`,
    "--v=2",
  ];
  await started("kubelet", "unshare", await kubeletLauncher(p, cp.binaries.kubelet, kubeletArgs), {
    ...process.env,
    PATH: path,
  });

  await until("kube-proxy", async () => (await fetch(`http://127.0.0.1:${proxyHealthz}/healthz`)).ok);
  await until(`Node ${NODE.name} Ready and schedulable`, async () => {
    const node = await get(`${cp.server}/api/v1/nodes/${NODE.name}`, cp.pki);
    if (node.status !== 200) return false;
    const parsed = JSON.parse(node.body) as {
      spec?: { taints?: unknown[] };
      status?: { conditions?: { type: string; status: string }[] };
    };
    const ready = parsed.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    return Boolean(ready) && (parsed.spec?.taints ?? []).length === 0;
  });
  // CoreDNS is the node's first Pod; its ports on the host's loopback are in its Corefile, so they are this run's.
  await kubectlApply(cp, corednsManifests(refs.coredns, { health: dnsHealth, ready: dnsReady }));
  await until(
    "CoreDNS (deployment/coredns in kube-system)",
    async () => (await fetch(`http://127.0.0.1:${dnsReady}/ready`).catch(() => undefined))?.ok === true,
  );
}

async function kubectlApply(cp: ControlPlane, manifest: string): Promise<void> {
  const child = run(cp.binaries.kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, "apply", "-f", "-"]);
  child.child.stdin!.end(manifest);
  await child;
}

/** Pods first, while the kubelet still runs, so that it stops their containers and CNI DEL frees their veths. */
async function deletePods(cp: ControlPlane, record: NodeRecord): Promise<void> {
  if (record.processes["kube-scheduler"]) {
    // No new Pod may land on the node meanwhile (a controller replacing the ones deleted).
    const { "kube-scheduler": scheduler, ...rest } = record.processes;
    await stopProcesses([scheduler]);
    record.processes = rest;
    await writeRecord(record);
  }
  // The node's own Deployment goes with it, so that no Pod of it waits for the next node in the cluster.
  await kubectl(cp, [
    "delete",
    "deployment",
    "coredns",
    "-n",
    "kube-system",
    "--ignore-not-found",
    "--wait=false",
  ]).catch(() => {});
  if (!record.processes.kubelet || !isRunning(record.processes.kubelet)) return;
  await kubectl(cp, [
    "delete",
    "pods",
    "--all-namespaces",
    `--field-selector=spec.nodeName=${NODE.name}`,
    "--grace-period=5",
    "--timeout=60s",
  ]).catch(() => {});
  await kubectl(cp, ["delete", "node", NODE.name, "--ignore-not-found", "--timeout=20s"]).catch(() => {});
  // The kubelet removes the stopped sandboxes a moment later; give it that moment.
  await sleep(1000);
}

async function stopNodeWith(cp: ControlPlane, p: NodePaths): Promise<void> {
  const record = await readRecord();
  if (!record || record.dir !== p.dir) return;
  await deletePods(cp, record);
  await teardownHost(record, p.containerdSocket);
}

/** Stops the node that `startNode(cp, { detached: true })` left running (make dev-down), and releases its lock. */
export async function stopNode(cp: ControlPlane): Promise<void> {
  const dir = nodeDir(cp);
  const file = join(dir, "node.json");
  if (!existsSync(file)) return;
  const state = JSON.parse(await readFile(file, "utf8")) as NodeState;
  await stopNodeWith(cp, nodePaths(dir));
  releaseDetachedLock(state.lockPid);
}

/**
 * Takes down a node left running on `cp`'s directory by a process that died (a test file that crashed), before
 * that directory goes. Someone else holding the lock has already done so: taking the lock clears a dead node.
 */
export async function reclaimNode(cpDir: string): Promise<void> {
  const lock = await acquireNodeLock({ owner: `cleanup of ${cpDir}`, timeoutMs: 0 }).catch(() => undefined);
  if (!lock) return;
  try {
    const record = await readRecord();
    if (record && record.dir === join(cpDir, "node")) {
      await teardownHost(record, nodePaths(record.dir).containerdSocket);
    }
  } finally {
    await lock.release();
  }
}
