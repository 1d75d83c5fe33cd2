// A stand-in apiserver on loopback that records every request (method, path, query, headers, JSON body) and answers
// each with what the test queued, or 201 and the body it was sent: for unit tests of what a client writes.
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { loopbackKubeConfig } from "./fake-apiserver.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface CannedAnswer {
  status: number;
  /** Sent as JSON, or as it is when a string. */
  body: unknown;
  /** Held until resolved. */
  gate?: Promise<void>;
}

export class RecordingApiserver {
  readonly requests: RecordedRequest[] = [];
  /** Answers for the next requests, in order; when empty, the request's own body comes back with 201. */
  readonly answers: CannedAnswer[] = [];
  kubeConfig = new KubeConfig();
  readonly #server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://apiserver");
      const body = text ? JSON.parse(text) : undefined;
      this.requests.push({
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
      });
      const answer: CannedAnswer = this.answers.shift() ?? { status: 201, body };
      await answer.gate;
      if (res.destroyed) return;
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
  });

  async start(): Promise<void> {
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    this.kubeConfig = loopbackKubeConfig((this.#server.address() as AddressInfo).port, "secret-token");
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}
