// A Docker Engine API for tests: Debian's podman (`podman system service`) on a private unix socket, with its own
// storage, runroot and configuration, so that nothing in /etc/containers or /var/lib/containers decides what it
// does. No packet may leave the machine: every remote image name is blocked, networks live on 198.18.16.0/20,
// an nft table drops whatever those networks would forward out of their bridges, containers' resolv.conf names
// their own loopback only. Teardown undoes all of it by PID and by what start() found missing (also after a
// failed start); what it needs is a record that another process can undo too (`make dev-down` after `dev-up`).
import { execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Private ranges for the engine's networks, clear of the local node's 198.18.0.0/24. */
export const ENGINE_SUBNETS = "198.18.16.0/20";
const DEFAULT_SUBNET = "198.18.16.0/24";
const SUBNET_POOL = "198.18.17.0/24";
const POOL_BASE = "198.18.24.0/21";

/** What teardown undoes: the service's PID and the host state start() found, in JSON. */
export interface PodmanEngineRecord {
  dir: string;
  pid?: number;
  table: string;
  /** HOST_STATE paths that did not exist before. */
  absent: string[];
  cgroupsBefore: string[];
  chainsBefore: string[];
  tablesBefore: string[];
  forwardBefore: string;
}

export interface PodmanEngine {
  /** DOCKER_HOST for clients: unix://… */
  dockerHost: string;
  record: PodmanEngineRecord;
  /** The environment that points the podman CLI at the same private configuration. */
  env: NodeJS.ProcessEnv;
  /** Runs the podman CLI against the private storage; resolves with stdout. */
  podman(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** State podman writes outside its private root; removed at teardown only if start() found it absent. */
const HOST_STATE = [
  "/run/containers",
  "/var/lib/containers",
  "/run/netns",
  "/etc/containers/networks",
] as const;
const LIBPOD_CGROUPS = "/sys/fs/cgroup";

function configFiles(dir: string): Record<string, string> {
  const q = (p: string) => JSON.stringify(join(dir, p));
  return {
    "etc/containers.conf": `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
dns_servers = ["127.0.0.1"]
dns_searches = ["."]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${q("run/events.log")}
runtime = "runc"
tmp_dir = ${q("run/tmp")}
volume_path = ${q("storage/volumes")}
[network]
network_backend = "netavark"
network_config_dir = ${q("etc/networks")}
default_subnet = "${DEFAULT_SUBNET}"
default_subnet_pools = [{ base = "${SUBNET_POOL}", size = 24 }, { base = "${POOL_BASE}", size = 24 }]
`,
    "etc/storage.conf": `[storage]
driver = "overlay"
graphroot = ${q("storage")}
runroot = ${q("run/storage")}
`,
    // A per-user registries.conf, so that /etc/containers/registries.conf.d (short-name aliases) is not read.
    "home/.config/containers/registries.conf": `unqualified-search-registries = []
short-name-mode = "enforcing"
${["docker.io", "quay.io", "ghcr.io", "gcr.io", "registry.k8s.io", "mcr.microsoft.com", "public.ecr.aws"]
  .map((r) => `[[registry]]\nlocation = "${r}"\nblocked = true\n`)
  .join("")}`,
  };
}

function nftGuard(table: string): string {
  // Forward priority -5: before netavark's own ACCEPT rules.
  return `table inet ${table} {
  chain forward {
    type filter hook forward priority -5; policy accept;
    ip saddr ${ENGINE_SUBNETS} oifname != "podman*" drop
    ip saddr ${ENGINE_SUBNETS} ip daddr != ${ENGINE_SUBNETS} drop
  }
}
`;
}

async function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function libpodCgroups(): string[] {
  if (!existsSync(LIBPOD_CGROUPS)) return [];
  return readdirSync(LIBPOD_CGROUPS)
    .map((c) => join(LIBPOD_CGROUPS, c, "libpod_parent"))
    .filter((p) => existsSync(p));
}

function mountsUnder(prefixes: string[]): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((m) => prefixes.some((p) => m === p || m.startsWith(`${p}/`)))
    .reverse();
}

/** "table/chain" of every NETAVARK chain iptables knows. */
async function netavarkChains(): Promise<string[]> {
  const { stdout } = await run("iptables-save", []).catch(() => ({ stdout: "" }));
  let table = "";
  const chains: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1);
    else if (line.startsWith(":NETAVARK")) chains.push(`${table}/${line.slice(1).split(" ")[0]}`);
  }
  return chains;
}

/** The environment that points podman (CLI and service) at the private configuration under `dir`. */
export function podmanEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: join(dir, "etc/containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "etc/storage.conf"),
    HOME: join(dir, "home"),
    XDG_CONFIG_HOME: join(dir, "home/.config"),
  };
}

const podmanIn =
  (dir: string) =>
  async (args: string[]): Promise<string> =>
    (await run("podman", args, { env: podmanEnv(dir), maxBuffer: 64 * 1024 * 1024 })).stdout;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopService(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 5_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

/** Removes every container and network of the engine, stops its service and undoes what it did to the host. */
export async function stopPodmanEngine(record: PodmanEngineRecord): Promise<void> {
  const { dir, absent } = record;
  const podman = podmanIn(dir);
  if (record.pid !== undefined && alive(record.pid)) {
    await podman(["rm", "--force", "--all", "--time", "0"]).catch(() => {});
    await podman(["network", "prune", "--force"]).catch(() => {});
    await stopService(record.pid);
  }
  // Storage is torn down through podman itself so that its overlay mounts go with it.
  await podman(["system", "reset", "--force"]).catch(() => {});
  for (const m of mountsUnder([dir, ...absent])) await run("umount", ["-l", m]).catch(() => {});
  const cgroupsBefore = new Set(record.cgroupsBefore);
  // Every step runs even if one before it failed: each undoes a different thing.
  const steps: (() => unknown)[] = [
    () => run("nft", ["delete", "table", "inet", record.table]),
    () => removeNetavarkChains(new Set(record.chainsBefore)),
    () => removeEmptyTables(new Set(record.tablesBefore)),
    () => writeFileSync("/proc/sys/net/ipv4/ip_forward", record.forwardBefore),
    () => {
      for (const cg of libpodCgroups().filter((c) => !cgroupsBefore.has(c))) removeCgroupTree(cg);
    },
    () => {
      for (const p of absent) rmSync(p, { recursive: true, force: true });
    },
    () => rmSync(dir, { recursive: true, force: true }),
  ];
  const failures: string[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length > 0) throw new Error(`podman engine teardown: ${failures.join("; ")}`);
}

/** Starts the service; throws (after undoing what it did) if it does not answer within `timeoutMs`. `detached`
 * leaves it running after this process exits, for stopPodmanEngine(record) from another. */
export async function startPodmanEngine(
  dir: string,
  options: { timeoutMs?: number; detached?: boolean } = {},
): Promise<PodmanEngine> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  if (!existsSync("/usr/bin/podman"))
    throw new Error("podman is not installed: run .ci/run or apt-get install podman");
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(configFiles(dir))) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  mkdirSync(join(dir, "run/tmp"), { recursive: true });
  mkdirSync(join(dir, "etc/networks"), { recursive: true });
  const env = podmanEnv(dir);
  const socket = join(dir, "docker.sock");
  const record: PodmanEngineRecord = {
    dir,
    table: `hourglass_engine_${process.pid}`,
    absent: HOST_STATE.filter((p) => !existsSync(p)),
    cgroupsBefore: libpodCgroups(),
    chainsBefore: await netavarkChains(),
    tablesBefore: await nftTables(),
    forwardBefore: readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
  };
  const serviceLog = join(dir, "service.log");
  const logTail = () => (existsSync(serviceLog) ? readFileSync(serviceLog, "utf8").slice(-4000) : "");

  try {
    await new Promise<void>((resolve, reject) => {
      const nft = spawn("nft", ["-f", "-"]);
      nft.stdin.end(nftGuard(record.table));
      nft.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`nft -f: exit ${code}`))));
    });
    const log = openSync(serviceLog, "a");
    const service = spawn("podman", ["system", "service", "--time=0", `unix://${socket}`], {
      env,
      stdio: ["ignore", log, log],
      detached: options.detached ?? false,
    });
    record.pid = service.pid;
    if (options.detached) service.unref();
    const deadline = Date.now() + timeoutMs;
    while (!(await socketAnswers(socket))) {
      if (service.exitCode !== null) throw new Error(`podman system service exited: ${logTail()}`);
      if (Date.now() > deadline)
        throw new Error(`podman system service did not listen in ${timeoutMs} ms: ${logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stopPodmanEngine(record);
    throw error;
  }
  return {
    dockerHost: `unix://${socket}`,
    record,
    env,
    podman: podmanIn(dir),
    stop: () => stopPodmanEngine(record),
  };
}

function removeCgroupTree(path: string): void {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(path, entry.name));
  }
  rmdirSync(path);
}

/** Netavark leaves its chains behind after its last network; remove those it added during this run. */
async function removeNetavarkChains(before: Set<string>): Promise<void> {
  const added = (await netavarkChains())
    .filter((c) => !before.has(c))
    .map((c) => c.split("/") as [string, string]);
  for (const [table, chain] of added) {
    const { stdout } = await run("iptables", ["-t", table, "-S"]).catch(() => ({ stdout: "" }));
    for (const rule of stdout.split("\n").filter((r) => r.startsWith("-A ") && r.includes(`-j ${chain}`))) {
      // -S quotes what needs it (comments with spaces): let the shell split it back.
      await run("sh", ["-c", `iptables -t ${table} -D ${rule.slice(3)}`]).catch(() => {});
    }
    await run("iptables", ["-t", table, "-F", chain]).catch(() => {});
  }
  for (const [table, chain] of added) await run("iptables", ["-t", table, "-X", chain]).catch(() => {});
}

async function nftTables(): Promise<string[]> {
  const { stdout } = await run("nft", ["list", "tables"]).catch(() => ({ stdout: "" }));
  return stdout.split("\n").filter((l) => l.startsWith("table "));
}

/** iptables (nft backend) creates `ip nat` and `ip filter` for netavark; drop them if they are new and empty. */
async function removeEmptyTables(before: Set<string>): Promise<void> {
  for (const line of (await nftTables()).filter((t) => !before.has(t))) {
    const [, family, name] = line.split(" ");
    if (family !== "ip" || (name !== "nat" && name !== "filter")) continue;
    const { stdout } = await run("iptables-save", ["-t", name]);
    if (
      stdout
        .split("\n")
        .some(
          (l) =>
            l.startsWith("-A ") ||
            (l.startsWith(":") && !/^:(PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l)),
        )
    )
      continue;
    await run("nft", ["delete", "table", family, name]);
  }
}
