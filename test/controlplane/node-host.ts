// What the local node sets up on the host, and how each piece is taken down again: the Pod bridge and its routes,
// the cgroup root, the shared mount of the kubelet's root, the fixed paths the kubelet and containerd insist on,
// the nft tables of kube-proxy, and the processes (by PID) the node leaves behind. Teardown works from a record
// of what was created, so that it also cleans up after a start that failed half-way or a holder that was killed.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { bridgeForwardRules, NODE } from "./node-config.ts";

const run = promisify(execFile);

/** A process this node started: its PID and the kernel's start time for it, so a reused PID is never signalled. */
export interface ProcessRef {
  pid: number;
  start: string;
}

export interface NodeRecord {
  /** The node's state directory (containerd, kubelet, logs). */
  dir: string;
  processes: Record<string, ProcessRef>;
  /** Host paths outside `dir` that did not exist before this node made them, to remove on teardown. */
  created: string[];
  bridge: boolean;
  /** The nft table confining forwarding to the bridge (bridgeForwardRules), made before forwarding is on. */
  forwardTable?: boolean;
  cgroups: boolean;
  /** Directories bind-mounted onto themselves (shared propagation), to unmount on teardown. */
  sharedMounts: string[];
}

/** Where the current holder of the node lock records what it made (see node-lock.ts). */
export const NODE_RECORD = "/run/lock/hourglass-node.json";

/** The fixed paths that the kubelet, containerd's shims and libcni use whatever they are told. */
export const FIXED_PATHS = ["/var/lib/kubelet", "/var/log/containers", "/run/containerd", "/var/lib/cni"];

export function emptyRecord(dir: string): NodeRecord {
  return { dir, processes: {}, created: [], bridge: false, cgroups: false, sharedMounts: [] };
}

export async function writeRecord(record: NodeRecord): Promise<void> {
  await writeFile(NODE_RECORD, JSON.stringify(record, null, 2));
}

export async function readRecord(): Promise<NodeRecord | undefined> {
  if (!existsSync(NODE_RECORD)) return undefined;
  return JSON.parse(await readFile(NODE_RECORD, "utf8")) as NodeRecord;
}

function startTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/PID/stat, counted after the command name (which may hold spaces) ends with ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export function processRef(pid: number): ProcessRef {
  return { pid, start: startTime(pid) ?? "" };
}

export function isRunning(ref: ProcessRef): boolean {
  return startTime(ref.pid) === ref.start;
}

function signal(ref: ProcessRef, name: NodeJS.Signals): void {
  if (!isRunning(ref)) return;
  try {
    process.kill(ref.pid, name);
  } catch {
    // gone meanwhile
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once every one has exited. */
export async function stopProcesses(refs: ProcessRef[], graceMs = 10_000): Promise<void> {
  for (const ref of refs) signal(ref, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (refs.some(isRunning) && Date.now() < deadline) await sleep(100);
  for (const ref of refs) signal(ref, "SIGKILL");
  while (refs.some(isRunning)) await sleep(50);
}

async function ip(args: string[]): Promise<void> {
  await run("ip", args);
}

/** The Pod bridge carrying the node IP, and the Service range routed onto it (see node-config.ts). */
export async function createBridge(record: NodeRecord): Promise<void> {
  record.bridge = true;
  await writeRecord(record);
  await ip(["link", "add", NODE.bridge, "type", "bridge"]);
  await ip(["addr", "add", `${NODE.ip}/24`, "dev", NODE.bridge]);
  await ip(["link", "set", NODE.bridge, "up"]);
  // The host reaches Service IPs through kube-proxy's DNAT, which happens after the route lookup: the lookup
  // must find a route, and this one leads onto the bridge, where an IP nobody has goes unanswered. Below it, a
  // blackhole for the whole range, so that no Service IP ever follows the default route off the machine.
  await ip(["route", "add", NODE.serviceRange, "dev", NODE.bridge, "src", NODE.ip]);
  await ip(["route", "add", "blackhole", NODE.serviceRange, "metric", "4096"]);
}

/** Forwarding on the bridge, confined to it by the node's nft table (see bridgeForwardRules). */
export async function forwardOnBridge(record: NodeRecord): Promise<void> {
  record.forwardTable = true;
  await writeRecord(record);
  await nft(bridgeForwardRules());
  await writeFile(`/proc/sys/net/ipv4/conf/${NODE.bridge}/forwarding`, "1\n");
}

/** Runs an nft script given on its standard input. */
function nft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("nft", ["-f", "-"], (error, _stdout, stderr) =>
      error ? reject(new Error(`nft: ${stderr || error.message}`)) : resolve(),
    );
    child.stdin!.end(script);
  });
}

async function removeForwardTable(): Promise<void> {
  await run("nft", ["delete", "table", ...NODE.forwardTable]).catch(() => {});
}

function bridgePorts(): string[] {
  const dir = `/sys/class/net/${NODE.bridge}/brif`;
  return existsSync(dir) ? readdirSync(dir) : [];
}

async function removeBridge(): Promise<void> {
  // A veth whose Pod went without a CNI DEL is still plugged in: deleting its host end frees the pair.
  for (const port of bridgePorts()) await ip(["link", "del", port]).catch(() => {});
  if (existsSync(`/sys/class/net/${NODE.bridge}`)) await ip(["link", "del", NODE.bridge]);
  await ip(["route", "del", "blackhole", NODE.serviceRange, "metric", "4096"]).catch(() => {});
}

/** Every mounted cgroup hierarchy (cgroup v1 has one per controller). */
function cgroupHierarchies(): string[] {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => f[2] === "cgroup" || f[2] === "cgroup2")
    .map((f) => f[1]!);
}

/** The kubelet wants its cgroupRoot to exist in every hierarchy; cpuset needs its cpus and mems filled in. */
export async function createCgroups(record: NodeRecord): Promise<void> {
  record.cgroups = true;
  await writeRecord(record);
  for (const hierarchy of cgroupHierarchies()) {
    const dir = join(hierarchy, NODE.cgroupRoot);
    await mkdir(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      if (existsSync(join(hierarchy, file))) {
        await writeFile(join(dir, file), await readFile(join(hierarchy, file)));
      }
    }
  }
}

function cgroupDirsDeepestFirst(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const children = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => cgroupDirsDeepestFirst(join(dir, e.name)));
  return [...children, dir];
}

/** PIDs still in the node's cgroups: Pod processes whose containers were never stopped. */
function cgroupPids(): number[] {
  const pids = new Set<number>();
  for (const hierarchy of cgroupHierarchies()) {
    for (const dir of cgroupDirsDeepestFirst(join(hierarchy, NODE.cgroupRoot))) {
      const procs = join(dir, "cgroup.procs");
      if (!existsSync(procs)) continue;
      for (const line of readFileSync(procs, "utf8").split("\n")) if (line) pids.add(Number(line));
    }
  }
  return [...pids];
}

async function removeCgroups(): Promise<void> {
  const leftovers = cgroupPids().map(processRef);
  await stopProcesses(leftovers, 0);
  for (const hierarchy of cgroupHierarchies()) {
    for (const dir of cgroupDirsDeepestFirst(join(hierarchy, NODE.cgroupRoot))) {
      // A cgroup goes a moment after its last process; retry briefly.
      for (let i = 0; ; i++) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") break;
          if (i >= 50) throw new Error(`cannot remove cgroup ${dir}: ${(error as Error).message}`);
          await sleep(100);
        }
      }
    }
  }
}

/** Makes `dir` a shared mount, so that mounts the kubelet makes from its own mount namespace show on the host. */
export async function shareMount(record: NodeRecord, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  record.sharedMounts.push(dir);
  await writeRecord(record);
  await run("mount", ["--bind", dir, dir]);
  await run("mount", ["--make-shared", dir]);
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const unoctal = (s: string) =>
    s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => unoctal(line.split(" ")[1] ?? ""))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function unmountUnder(dir: string): Promise<void> {
  for (let pass = 0; pass < 5; pass++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts) await run("umount", ["--lazy", m]).catch(() => {});
  }
}

/** The fixed paths that do not exist yet: the node may remove exactly these when it is done. */
export function missingFixedPaths(): string[] {
  return FIXED_PATHS.filter((p) => !existsSync(p));
}

async function removeNftTables(): Promise<void> {
  for (const [family, table] of NODE.nftTables) {
    await run("nft", ["delete", "table", family, table]).catch(() => {});
  }
}

/** containerd's shims outlive containerd by design; each names this node's containerd socket on its command line. */
function shimsOf(socket: string): ProcessRef[] {
  const refs: ProcessRef[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("containerd-shim-runc-v2") && argv.includes(socket)) {
        refs.push(processRef(Number(entry)));
      }
    } catch {
      // exited meanwhile
    }
  }
  return refs;
}

/**
 * Takes down everything in `record`, whatever state it is in: processes (the node's, then any shim and Pod
 * process left), mounts, the bridge with its veths and routes, the nft tables, the cgroups, the fixed paths
 * this node created, and the record itself. Pods should have been deleted through the kubelet first (node.ts)
 * so that CNI DEL ran; this also copes when that was not possible.
 */
export async function teardownHost(record: NodeRecord, containerdSocket: string): Promise<void> {
  const order = [
    "kubelet",
    "kube-proxy",
    "coredns",
    "kube-scheduler",
    "kube-controller-manager-node",
    "containerd",
  ];
  const named = Object.entries(record.processes).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  for (const [, ref] of named) await stopProcesses([ref]);
  await stopProcesses(shimsOf(containerdSocket), 2000);
  if (record.cgroups) await removeCgroups();
  await unmountUnder(record.dir);
  for (const dir of record.sharedMounts) await unmountUnder(dir);
  if (record.bridge) await removeBridge();
  // After the bridge (and its forwarding setting) is gone, never before.
  if (record.forwardTable) await removeForwardTable();
  if (record.processes["kube-proxy"]) await removeNftTables();
  for (const path of record.created) {
    await unmountUnder(path);
    await rm(path, { recursive: true, force: true });
  }
  await rm(NODE_RECORD, { force: true });
}
