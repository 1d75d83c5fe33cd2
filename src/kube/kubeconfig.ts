// Which cluster the operator talks to, in the order Kubernetes tools use: an explicit --kubeconfig, else the
// in-cluster service account (when running in a Pod), else $KUBECONFIG, else ~/.kube/config.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/** Where the kubelet mounts a Pod's service account token and CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface KubeConfigOptions {
  /** The --kubeconfig flag. */
  kubeconfig?: string;
  /** Prefix of SERVICE_ACCOUNT_DIR (client-node's pathPrefix); tests point it at a temporary directory. */
  serviceAccountRoot?: string;
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = process.env;
  const root = options.serviceAccountRoot ?? "";
  const kc = new KubeConfig();
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) {
      throw new Error(
        `--kubeconfig: file ${options.kubeconfig} not found; pass the path of a kubeconfig file`,
      );
    }
    kc.loadFromFile(options.kubeconfig);
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(join(root, SERVICE_ACCOUNT_DIR, "token"))) {
    kc.loadFromCluster(root);
  } else {
    const files = (env.KUBECONFIG ?? "").split(":").filter(Boolean);
    const file = files[0] ?? join(env.HOME ?? homedir(), ".kube", "config");
    if (!existsSync(file)) {
      throw new Error(
        `no kubeconfig: ${files.length ? `KUBECONFIG names ${file}, which does not exist` : `${file} does not exist`}; ` +
          "pass --kubeconfig <file>, set KUBECONFIG, or run the operator in a cluster",
      );
    }
    kc.loadFromFile(file);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(
      `kubeconfig: current context "${kc.getCurrentContext()}" names no cluster; set current-context to one that exists`,
    );
  }
  return kc;
}
