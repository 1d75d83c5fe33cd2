// Plain-HTTP endpoints (health, metrics, profiling): one small server per port, GET only. Used by the operator and
// the executor alike.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** An endpoint's answer: status, content type and body. */
export interface HttpReply {
  status: number;
  contentType: string;
  body: string | Buffer;
}

/** Handlers by path; the query string is passed as URLSearchParams. */
export type HttpRoutes = Record<
  string,
  (query: URLSearchParams, request: IncomingMessage) => Promise<HttpReply>
>;

/** A started endpoint server: its port and its graceful close. */
export interface RunningHttpServer {
  port: number;
  /** Stops accepting; requests in progress get CLOSE_GRACE_MS to finish. */
  close(): Promise<void>;
}

/** How long close() waits for requests in progress before cutting their connections. */
export const CLOSE_GRACE_MS = 2_000;

/** Serves GET routes on one port (health, metrics, profiling): 404 for another path, 405 for another method. */
export async function serveHttp(host: string, port: number, routes: HttpRoutes): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const handler = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : undefined;
    if (!handler) {
      response.writeHead(404, { "content-type": "text/plain" }).end(`no such endpoint: ${url.pathname}\n`);
      return;
    }
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end("use GET\n");
      return;
    }
    handler(url.searchParams, request).then(
      (reply) => response.writeHead(reply.status, { "content-type": reply.contentType }).end(reply.body),
      (error: unknown) =>
        response
          .writeHead(500, { "content-type": "text/plain" })
          .end(`${(error as Error)?.message ?? error}\n`),
    );
  });
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => {
      throw new Error(`HTTP ${host}:${port}: ${(error as Error).message}`);
    }),
  ]);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A request that would hold the close for long (a CPU profile of minutes) is cut off instead.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

/** A JSON answer with a status. */
export function jsonReply(status: number, body: unknown): HttpReply {
  return { status, contentType: "application/json", body: `${JSON.stringify(body)}\n` };
}
