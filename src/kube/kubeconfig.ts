// Which cluster the operator talks to, in the order Kubernetes tools use: an explicit --kubeconfig, else the
// in-cluster service account (when running in a Pod), else $KUBECONFIG, else ~/.kube/config.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/** Where the kubelet mounts a Pod's service account token and CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Where the operator's cluster credentials are looked for besides the defaults. */
export interface KubeConfigOptions {
  /** The --kubeconfig flag. */
  kubeconfig?: string;
  /** Prefix of SERVICE_ACCOUNT_DIR (client-node's pathPrefix); tests point it at a temporary directory. */
  serviceAccountRoot?: string;
}

/**
 * A KubeConfig whose API clients share one connection pool per context. client-node 2.0.1 gives every request
 * a dispatcher of its own, so every call opened a new TLS connection (and HTTP/2 session) to the apiserver:
 * a handshake on both sides per write, which dominated the controller's CPU. Authentication headers are still
 * computed per request (tokens rotate); the TLS identity of a context is taken as fixed for the process's life,
 * as client-node's own https.Agent cache does.
 */
export class PooledKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, NonNullable<ReturnType<RequestContext["getDispatcher"]>>>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const own = context.getDispatcher();
    if (!own) return;
    const key = this.getCurrentContext();
    const shared = this.#dispatchers.get(key);
    if (shared) context.setDispatcher(shared);
    else this.#dispatchers.set(key, own);
  }
}

/** In a Pod with a service account: what client-go's in-cluster config requires. */
export function inCluster(serviceAccountRoot = ""): boolean {
  return (
    !!process.env.KUBERNETES_SERVICE_HOST &&
    existsSync(join(serviceAccountRoot, SERVICE_ACCOUNT_DIR, "token"))
  );
}

/** The operator's KubeConfig: --kubeconfig, else the Pod's service account, else $KUBECONFIG or
 * ~/.kube/config. */
export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const env = process.env;
  const root = options.serviceAccountRoot ?? "";
  const kc = new PooledKubeConfig();
  if (options.kubeconfig) {
    if (!existsSync(options.kubeconfig)) {
      throw new Error(
        `--kubeconfig: file ${options.kubeconfig} not found; pass the path of a kubeconfig file`,
      );
    }
    kc.loadFromFile(options.kubeconfig);
  } else if (inCluster(root)) {
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
