// The apiserver as an informer's ListWatchSource: a list in pages, and a watch on the same path through
// client-node's Watch, with bookmarks on and a server-side timeout, as client-go's reflector asks for them.
import { type KubeConfig, type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { ListResult, ListWatchSource, WatchEventType } from "./informer.ts";
import { requestJson } from "./json-request.ts";

/** Objects per list page: client-go's reflector asks for 500 too. */
export const LIST_PAGE_SIZE = 500;

/** The collection an apiserver ListWatchSource lists and watches, with its page size and timeouts. */
export interface ApiListWatchOptions<T> {
  /** The collection's path, e.g. `/api/v1/pods`. */
  path: string;
  labelSelector?: string;
  /**
   * Lists the collection with the same selector, in one piece. Without it the list is read from `path` in pages
   * of LIST_PAGE_SIZE, each transformed as it arrives, so that listing many objects never holds them all as
   * received (nor a typed copy of each).
   */
  list?: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  /** Client-side inactivity limit of a watch; set it above the informer's watchdog, which does the job. */
  inactivityTimeoutMs: number;
  pageSize?: number;
  random?: () => number;
}

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** An informer's source on the apiserver: paged lists and bookmarked watches on one collection path. */
export function apiListWatch<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  options: ApiListWatchOptions<T>,
): ListWatchSource<T> {
  const watch = new Watch(kubeConfig);
  // client-node's own inactivity timer (30 s by default) would end every quiet watch before its first bookmark.
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = options.inactivityTimeoutMs;
  const random = options.random ?? Math.random;
  const pageSize = options.pageSize ?? LIST_PAGE_SIZE;
  return {
    async list(transform): Promise<ListResult<T>> {
      if (options.list) {
        const list = await options.list();
        // The typed client turns timestamps into Dates; a watch delivers them as strings. One form in the cache.
        const items = (JSON.parse(JSON.stringify(list.items ?? [])) as T[]).map(transform);
        return { items, resourceVersion: list.metadata?.resourceVersion ?? "" };
      }
      const items: T[] = [];
      let continueToken: string | undefined;
      for (;;) {
        const query: Record<string, string> = { limit: String(pageSize) };
        if (options.labelSelector) query.labelSelector = options.labelSelector;
        if (continueToken) query.continue = continueToken;
        // A refusal is an ApiException with the apiserver's status: a 410 for a continue token that expired
        // makes the informer list again from the start.
        const page = await requestJson<ListPage<T>>(kubeConfig, { method: "GET", path: options.path, query });
        for (const item of page.items ?? []) items.push(transform(item));
        continueToken = page.metadata?.continue || undefined;
        // Every page carries the resourceVersion of the snapshot the first page was read from.
        if (!continueToken) return { items, resourceVersion: page.metadata?.resourceVersion ?? "" };
      }
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
