// A stand-in apiserver on loopback for unit tests of list-watch clients: collections answered from memory, in
// pages when asked for a limit, watches held open for the test to push events into, every request recorded.
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export interface FakeCollection {
  items: { metadata?: { name?: string; namespace?: string } }[];
  resourceVersion: string;
  /** Held until resolved: a list that has not answered yet. */
  gate?: Promise<void>;
  /** Continue tokens are refused with 410 Gone, as after the apiserver compacted their snapshot away. */
  expireContinue?: boolean;
}

/** A kubeconfig for a plain-HTTP stand-in apiserver on loopback `port`, authenticating with `token`. */
export function loopbackKubeConfig(port: number, token: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "tester", token }],
    contexts: [{ name: "fake", cluster: "fake", user: "tester" }],
    currentContext: "fake",
  });
  return kubeConfig;
}

export class FakeApiserver {
  readonly requests: URL[] = [];
  /** By path (without the query). */
  readonly collections = new Map<string, FakeCollection>();
  /** Open watches by path. */
  readonly watches = new Map<string, ServerResponse[]>();
  readonly #server = createServer((req, res) => this.#answer(req, res));
  kubeConfig = new KubeConfig();

  async start(): Promise<void> {
    this.#server.listen(0, "127.0.0.1");
    await once(this.#server, "listening");
    this.kubeConfig = loopbackKubeConfig((this.#server.address() as AddressInfo).port, "token");
  }

  /** Sends a watch event to every open watch on `path`. */
  emit(path: string, type: string, object: unknown): void {
    for (const res of this.watches.get(path) ?? []) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
  }

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://apiserver");
    this.requests.push(url);
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const collection = this.collections.get(url.pathname);
    if (!collection) {
      json(404, { kind: "Status", code: 404, message: `${url.pathname} not found` });
      return;
    }
    if (url.searchParams.get("watch") === "true") {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      this.watches.set(url.pathname, [...(this.watches.get(url.pathname) ?? []), res]);
      return;
    }
    await collection.gate;
    const token = url.searchParams.get("continue") ?? "";
    if (token && collection.expireContinue) {
      json(410, {
        kind: "Status",
        code: 410,
        reason: "Expired",
        message: "The provided continue parameter is too old",
      });
      return;
    }
    const from = Number(token || 0);
    const limit = Number(url.searchParams.get("limit") ?? collection.items.length) || collection.items.length;
    const items = collection.items.slice(from, from + limit);
    const next = from + limit < collection.items.length ? String(from + limit) : undefined;
    json(200, {
      metadata: { resourceVersion: collection.resourceVersion, ...(next ? { continue: next } : {}) },
      items,
    });
  }
}
