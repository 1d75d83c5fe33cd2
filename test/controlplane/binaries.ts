// Where the local cluster's binaries live: the cache that build.sh fills, keyed by the versions in versions.env.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const here = import.meta.dirname;

export interface Binaries {
  kubernetesVersion: string;
  etcdVersion: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kubelet: string;
  kubeProxy: string;
  etcd: string;
  coredns: string;
  pause: string;
  /** Directory holding containerd, its runc shim (which containerd finds on PATH) and ctr. */
  containerdDir: string;
  /** Directory holding kubectl and the Kubernetes binaries, to put first on PATH. */
  binDir: string;
  /** Helm, which the chart's tests run. */
  helm: string;
}

/** The pinned versions, read from the same file build.sh sources. */
export function pinnedVersions(): {
  kubernetes: string;
  etcd: string;
  containerd: string;
  coredns: string;
  certManager: string;
  helm: string;
} {
  const text = readFileSync(join(here, "versions.env"), "utf8");
  const value = (name: string) => {
    const found = new RegExp(`^${name}=(\\S+)$`, "m").exec(text)?.[1];
    if (!found) throw new Error(`${join(here, "versions.env")}: ${name} is not set`);
    return found;
  };
  return {
    kubernetes: value("KUBERNETES_VERSION"),
    etcd: value("ETCD_VERSION"),
    containerd: value("CONTAINERD_VERSION"),
    coredns: value("COREDNS_VERSION"),
    certManager: value("CERT_MANAGER_VERSION"),
    helm: value("HELM_VERSION"),
  };
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOURGLASS_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hourglass");
}

export function binaries(): Binaries {
  const pinned = pinnedVersions();
  const binDir = join(cacheDir(), "k8s", pinned.kubernetes);
  // build.sh keys the pause binary by its source's content, as here.
  const pauseKey = createHash("sha256")
    .update(readFileSync(join(here, "pause", "main.go")))
    .digest("hex")
    .slice(0, 16);
  return {
    kubernetesVersion: pinned.kubernetes,
    etcdVersion: pinned.etcd,
    kubeApiserver: join(binDir, "kube-apiserver"),
    kubeControllerManager: join(binDir, "kube-controller-manager"),
    kubeScheduler: join(binDir, "kube-scheduler"),
    kubectl: join(binDir, "kubectl"),
    kubelet: join(binDir, "kubelet"),
    kubeProxy: join(binDir, "kube-proxy"),
    etcd: join(cacheDir(), "etcd", pinned.etcd, "etcd"),
    coredns: join(cacheDir(), "coredns", pinned.coredns, "coredns"),
    pause: join(cacheDir(), "pause", pauseKey, "pause"),
    containerdDir: join(cacheDir(), "containerd", pinned.containerd),
    binDir,
    helm: join(cacheDir(), "helm", pinned.helm, "helm"),
  };
}

/** The binaries, building the missing ones first (a cold build takes minutes; a warm call returns at once). */
export async function ensureBinaries(): Promise<Binaries> {
  const bins = binaries();
  const missing = [
    bins.kubeApiserver,
    bins.kubeControllerManager,
    bins.kubeScheduler,
    bins.kubectl,
    bins.kubelet,
    bins.kubeProxy,
    bins.etcd,
    bins.coredns,
    bins.pause,
    bins.helm,
    ...["containerd", "containerd-shim-runc-v2", "ctr"].map((c) => join(bins.containerdDir, c)),
  ].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    await promisify(execFile)("bash", [join(here, "build.sh")], { maxBuffer: 64 * 1024 * 1024 });
  }
  return bins;
}

/** cert-manager's CRD manifests, from its published Go module (downloaded once into the Go module cache). */
export async function certManagerCrdDir(): Promise<string> {
  const module = `github.com/cert-manager/cert-manager@${pinnedVersions().certManager}`;
  const { stdout } = await promisify(execFile)("go", ["mod", "download", "-json", module], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const { Dir, Error: failure } = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${module}: ${failure ?? "no directory"}`);
  return join(Dir, "deploy", "crds");
}
