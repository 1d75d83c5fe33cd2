// The apiserver as an informer's ListWatchSource: a list through a client-node API call, and a watch on the
// same path through client-node's Watch, with bookmarks on and a server-side timeout, as client-go's reflector
// asks for them.
import { type KubeConfig, type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { ListResult, ListWatchSource, WatchEventType } from "./informer.ts";

export interface ApiListWatchOptions<T> {
  /** The collection's path across namespaces, e.g. `/api/v1/pods`. */
  path: string;
  labelSelector?: string;
  /** Lists the collection with the same selector. */
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** Client-side inactivity limit of a watch; set it above the informer's watchdog, which does the job. */
  inactivityTimeoutMs: number;
  random?: () => number;
}

export function apiListWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  options: ApiListWatchOptions<T>,
): ListWatchSource<T> {
  const watch = new Watch(kubeConfig);
  // client-node's own inactivity timer (30 s by default) would end every quiet watch before its first bookmark.
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = options.inactivityTimeoutMs;
  const random = options.random ?? Math.random;
  return {
    async list(): Promise<ListResult<T>> {
      const list = await options.list();
      // The typed client turns timestamps into Dates; a watch delivers them as strings. One form in the cache.
      const items = JSON.parse(JSON.stringify(list.items ?? [])) as T[];
      return { items, resourceVersion: list.metadata?.resourceVersion ?? "" };
    },
    async watch(resourceVersion, onEvent, onClose) {
      const query: Record<string, string | boolean | number> = {
        resourceVersion,
        allowWatchBookmarks: true,
        // The server ends each watch after 5–10 minutes, spreading reconnections of many clients.
        timeoutSeconds: Math.floor(300 + 300 * random()),
      };
      if (options.labelSelector) query.labelSelector = options.labelSelector;
      const controller = await watch.watch(
        options.path,
        query,
        (type: string, object: T) => onEvent(type as WatchEventType, object),
        (error: unknown) => onClose(error ?? undefined),
      );
      return { abort: () => controller.abort() };
    },
  };
}
