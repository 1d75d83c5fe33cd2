// What the host looks like, for the tests that check the local node leaves nothing behind: processes run from the
// local cluster's binaries (or in its cgroups), mounts, links, routes, network namespaces, nft tables and the
// node's cgroups. Other people use the machine meanwhile, so a comparison looks only at what appeared.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { binaries } from "../controlplane/binaries.ts";
import { NODE } from "../controlplane/node-config.ts";

const run = promisify(execFile);

export interface HostSnapshot {
  processes: string[];
  mounts: string[];
  links: string[];
  routes: string[];
  netns: string[];
  nftTables: string[];
  cgroups: string[];
}

/** Processes of the node: its binaries (not the control plane's, which other runs start and stop), its
 * controller manager, and whatever sits in the node's cgroups (Pods, whatever runtime started them). */
function nodeProcesses(): string[] {
  const bins = binaries();
  const nodeBinaries = [
    bins.kubelet,
    bins.kubeProxy,
    bins.kubeScheduler,
    bins.coredns,
    bins.pause,
    bins.containerdDir,
  ];
  const cgroupMarker = `/${NODE.cgroupRoot}`;
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      const cgroup = readFileSync(`/proc/${entry}/cgroup`, "utf8");
      const ours =
        nodeBinaries.some((b) => argv[0]?.startsWith(b)) ||
        argv.some((a) => a.includes("node-lifecycle-controller")) ||
        cgroup.includes(cgroupMarker);
      if (ours) found.push(`${entry} ${argv.join(" ")}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function lines(command: string, args: string[]): Promise<string[]> {
  const { stdout } = await run(command, args).catch(() => ({ stdout: "" }));
  return stdout.split("\n").filter(Boolean);
}

/** The bridge and the veths plugged into it now. */
export function nodeLinks(): string[] {
  const brif = `/sys/class/net/${NODE.bridge}/brif`;
  return existsSync(brif) ? [NODE.bridge, ...readdirSync(brif)] : [];
}

/** nft tables of kube-proxy and the node's own, and any table holding a KUBE- chain (the kubelet's and
 * kube-proxy's names). */
async function nodeNftTables(): Promise<string[]> {
  const found = new Set<string>();
  let table = "";
  for (const line of await lines("nft", ["list", "ruleset"])) {
    const opened = /^table (\S+ \S+)/.exec(line);
    if (opened) table = opened[1]!;
    if (opened && [...NODE.nftTables, NODE.forwardTable].some(([f, t]) => opened[1] === `${f} ${t}`)) {
      found.add(table);
    }
    if (/^\s*chain KUBE-/.test(line)) found.add(table);
  }
  return [...found];
}

/**
 * The host as far as the node could have changed it. Other people use the machine meanwhile (their own
 * container tools make bridges, netns and nft tables), so only what names the node's paths, addresses,
 * links and tables counts. `links` are looked for by name: pass the ones seen while the node ran.
 */
export async function hostSnapshot(links: string[] = nodeLinks()): Promise<HostSnapshot> {
  const cgroups = ["cpu", "memory", "pids", "systemd", "unified"]
    .map((h) => join("/sys/fs/cgroup", h, NODE.cgroupRoot))
    .filter(existsSync);
  const nodeAddresses = /198\.1[89]\.|hourglass/;
  const present = await lines("ip", ["-o", "link", "show"]);
  return {
    processes: nodeProcesses(),
    mounts: readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .filter((m) => /hourglass|kubelet|containerd|\/netns/.test(m)),
    links: links.filter((name) => present.some((l) => l.split(":")[1]?.trim().replace(/@.*/, "") === name)),
    routes: (await lines("ip", ["route", "show", "table", "all"])).filter((r) => nodeAddresses.test(r)),
    netns: [
      ...(await lines("ip", ["netns", "list"])),
      ...(existsSync("/run/netns") ? readdirSync("/run/netns") : []),
    ].filter((n) => n.startsWith("cni-")),
    nftTables: await nodeNftTables(),
    cgroups,
  };
}

/** What `after` holds that `before` did not. */
export function leftovers(before: HostSnapshot, after: HostSnapshot): HostSnapshot {
  const added = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  return {
    processes: added(before.processes, after.processes),
    mounts: added(before.mounts, after.mounts),
    links: added(before.links, after.links),
    routes: added(before.routes, after.routes),
    netns: added(before.netns, after.netns),
    nftTables: added(before.nftTables, after.nftTables),
    cgroups: added(before.cgroups, after.cgroups),
  };
}

/** What `leftovers` finds when the node left nothing behind. */
export const NOTHING_LEFT: HostSnapshot = {
  processes: [],
  mounts: [],
  links: [],
  routes: [],
  netns: [],
  nftTables: [],
  cgroups: [],
};
