// A TCP proxy in front of the test apiserver: a test can count the connections its clients open, and cut them
// all (and refuse new ones) to see a client recover.
import { connect, createServer, type Socket } from "node:net";
import type { TestContext } from "node:test";
import type { KubeConfig } from "@kubernetes/client-node";
import { PooledKubeConfig } from "../../src/kube/kubeconfig.ts";

export interface ApiserverProxy {
  /** `kc`'s clusters, users and contexts, with every server pointed at the proxy. */
  kubeConfig: PooledKubeConfig;
  /** Client connections accepted so far. */
  connections(): number;
  cut(): void;
  restore(): void;
}

export async function apiserverProxy(t: TestContext, kc: KubeConfig): Promise<ApiserverProxy> {
  const target = new URL(kc.getCurrentCluster()!.server);
  const sockets = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(Number(target.port), target.hostname);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const proxied = new PooledKubeConfig();
  proxied.loadFromOptions({
    clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${port}` })),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return {
    kubeConfig: proxied,
    connections: () => accepted,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
  };
}
