// One request to the apiserver with a JSON body and a JSON answer, authenticated as client-node's own calls are
// (and over the same pooled connection, PooledKubeConfig), without client-node's typed models: its generated
// clients walk every field of a Pod through their type tables both ways, about 0.3 ms of CPU per write on top of
// the request itself (the reconciler makes three per new Performer). The objects come back as the apiserver wrote
// them, timestamps as text, as a watch delivers them.
import { ApiException, HttpMethod, type KubeConfig, RequestContext } from "@kubernetes/client-node";
import { fetch } from "undici";

/** One request: what to ask of which path, with which body. */
export interface JsonRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** e.g. `/api/v1/namespaces/x/pods`, without the query. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** The body's content type: JSON, or a patch type (`application/merge-patch+json`). */
  contentType?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/** The answer's JSON; an ApiException with the apiserver's status and its Status object for anything but 2xx. */
export async function requestJson<R>(kubeConfig: KubeConfig, request: JsonRequest): Promise<R> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig: no current cluster");
  const url = new URL(cluster.server + request.path);
  for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
  const context = new RequestContext(url.toString(), HttpMethod[request.method]);
  await kubeConfig.applySecurityAuthentication(context);
  const headers: Record<string, string> = { ...context.getHeaders(), accept: "application/json" };
  if (request.body !== undefined) headers["content-type"] = request.contentType ?? "application/json";
  const response = await fetch(url, {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    dispatcher: context.getDispatcher(),
    signal: request.signal,
  });
  const text = await response.text();
  const body = parsed(text) as (R & { message?: string }) | undefined;
  if (response.status < 200 || response.status > 299) {
    throw new ApiException(
      response.status,
      `${request.method} ${request.path}: ${body?.message ?? response.statusText}`,
      body ?? text,
      Object.fromEntries(response.headers),
    );
  }
  return body as R;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
