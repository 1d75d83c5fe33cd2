// Reading the apiserver's answer out of client-node's errors: its HTTP status, and the Status object's message
// (what a person needs to see: "Pod \"x\" is invalid: spec.containers[0].image: Required value").
import { ApiException } from "@kubernetes/client-node";

/** The HTTP status the apiserver answered with, from a client-node error or a watch's Status; undefined when
 * none. */
export function apiStatusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const e = error as { statusCode?: number; code?: unknown } | undefined;
  return e?.statusCode ?? (typeof e?.code === "number" ? e.code : undefined);
}

/** The apiserver's own message from a failed call (its Status's message), else the error's. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === "string" ? parseJson(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === "string" ? message : `HTTP ${error.code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** 404: the object is not there (gone before a delete, or never made). */
export const isNotFound = (error: unknown): boolean => apiStatusCode(error) === 404;
/** 410 Gone: from an API call, a watch request, or a watch's ERROR event object (a Status). */
export const isGone = (error: unknown): boolean => apiStatusCode(error) === 410;
/** 409: another writer came first (a stale resourceVersion, or the name is taken). */
export const isConflict = (error: unknown): boolean => apiStatusCode(error) === 409;

/** 4xx other than 404/409/429: the request itself is wrong (invalid, forbidden) and repeating it will not help. */
export function isRejected(error: unknown): boolean {
  const code = apiStatusCode(error);
  return code !== undefined && code >= 400 && code < 500 && code !== 404 && code !== 409 && code !== 429;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Log fields for an error: the apiserver's message and status for API errors (their full text repeats the
 * response headers), the error itself (with its stack) otherwise. */
export function errorLogFields(error: unknown): Record<string, unknown> {
  if (error instanceof ApiException) return { error: apiErrorMessage(error), status: error.code };
  return { err: error };
}
