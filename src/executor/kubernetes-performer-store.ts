// The Performer store against the apiserver: the executor's Performers (label managed-by=hourglass-executor) in
// kubernetes.namespace, through client-node's CustomObjectsApi and the project's informer. Every call is bounded
// by kubernetes.connection_timeout.
import { existsSync } from "node:fs";
import { type ConfigurationOptions, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Performer } from "../api/performer.ts";
import { requestOptions, withDeadline } from "../kube/deadline.ts";
import { Informer, type ListWatchSource } from "../kube/informer.ts";
import { loadKubeConfig as loadKubeConfigFile } from "../kube/kubeconfig.ts";
import { apiListWatch } from "../kube/list-watch.ts";
import { LABEL_MANAGED_BY, MANAGED_BY_EXECUTOR } from "./performer-manifest.ts";
import type { PerformerListener, PerformerStore } from "./performer-store.ts";
import type { KubernetesSettings } from "./settings.ts";

/** The label selector of the Performers an executor created, the only ones it lists, adopts and deletes. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY_EXECUTOR}`;
/** client-node's own watch inactivity limit; the informer's watchdog (3 min) reopens silent watches first. */
const WATCH_INACTIVITY_TIMEOUT_MS = 10 * 60_000;

/** kubernetes.kubeconfig when set; else the Pod's service account (in_cluster), else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(settings: KubernetesSettings): KubeConfig {
  if (settings.kubeconfig && !existsSync(settings.kubeconfig)) {
    throw new Error(
      `kubernetes.kubeconfig: file ${settings.kubeconfig} not found; give the path of a kubeconfig file`,
    );
  }
  return loadKubeConfigFile({ kubeconfig: settings.kubeconfig });
}

/** The calls of CustomObjectsApi the store makes. */
export type PerformerApi = Pick<
  CustomObjectsApi,
  "listNamespacedCustomObject" | "createNamespacedCustomObject" | "deleteNamespacedCustomObject"
>;

type PerformerList = { items: Performer[]; metadata?: { resourceVersion?: string } };

/** The PerformerStore against the apiserver: CustomObjectsApi calls and an informer over the executor's
 * Performers. */
export function kubernetesPerformerStore(parts: {
  kubeConfig: KubeConfig;
  settings: KubernetesSettings;
  log: Logger;
}): PerformerStore {
  const k8s = parts.settings;
  return performerStoreOver({
    api: parts.kubeConfig.makeApiClient(CustomObjectsApi),
    watchSource: (list) =>
      apiListWatch<Performer>(parts.kubeConfig, {
        path: `/apis/${k8s.crdGroup}/${k8s.crdVersion}/namespaces/${k8s.namespace}/${k8s.crdPlural}`,
        labelSelector: MANAGED_SELECTOR,
        list,
        inactivityTimeoutMs: WATCH_INACTIVITY_TIMEOUT_MS,
      }),
    settings: k8s,
    log: parts.log,
  });
}

/** The store over `api`, watching through what `watchSource` makes of the store's own list call. */
export function performerStoreOver(parts: {
  api: PerformerApi;
  watchSource: (list: () => Promise<PerformerList>) => ListWatchSource<Performer>;
  settings: KubernetesSettings;
  log: Logger;
}): PerformerStore {
  const { api, settings: k8s } = parts;
  const resource = {
    group: k8s.crdGroup,
    version: k8s.crdVersion,
    namespace: k8s.namespace,
    plural: k8s.crdPlural,
  };
  // A call past kubernetes.connection_timeout is cancelled, not left running.
  const bounded = <T>(what: string, work: (options: ConfigurationOptions | undefined) => Promise<T>) =>
    withDeadline(`${what} (kubernetes.connection_timeout)`, k8s.connectionTimeoutMs, (signal) =>
      work(requestOptions(signal)),
    );
  const listManaged = () =>
    bounded(
      "listing Performers",
      (options) =>
        api.listNamespacedCustomObject(
          { ...resource, labelSelector: MANAGED_SELECTOR },
          options,
        ) as Promise<PerformerList>,
    );
  const listeners = new Set<PerformerListener>();
  const informer = new Informer<Performer>({
    name: "performers",
    source: parts.watchSource(listManaged),
    onEvent: (performer, event) => {
      for (const listener of listeners) listener(performer, event);
    },
    logger: parts.log,
  });
  return {
    namespace: k8s.namespace,
    list: async () => (await listManaged()).items,
    async create(performer) {
      const name = performer.metadata.name;
      await bounded(`creating Performer ${name}`, (options) =>
        api.createNamespacedCustomObject({ ...resource, body: performer }, options),
      );
    },
    async delete(name) {
      await bounded(`deleting Performer ${name}`, (options) =>
        api.deleteNamespacedCustomObject({ ...resource, name }, options),
      );
    },
    watch: () => informer.start(),
    stopWatching: () => informer.stop(),
    get: (name) => informer.get(k8s.namespace, name),
    cached: () => informer.list(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
