// The TCP connections made to a local port while a benchmark runs, counted from the kernel's socket table
// (/proc/net/tcp): each distinct peer seen, in any state. A connection closed after one request stays in the table
// in TIME_WAIT for a minute, so sampling every few tens of milliseconds sees each one; a kept-alive connection is
// one peer for the whole run. Since each connection is one TLS handshake, this also counts the handshakes.
import { readFile } from "node:fs/promises";

/** The peers ("address:port", hex as the kernel writes them) of the sockets whose local port is `port`. */
export function peersOfPort(table: string, port: number): string[] {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const peers: string[] = [];
  for (const line of table.split("\n").slice(1)) {
    const [, localAddress, remoteAddress] = line.trim().split(/\s+/);
    // A listening socket's peer is 0:0.
    if (localAddress?.endsWith(local) && remoteAddress && !remoteAddress.endsWith(":0000")) {
      peers.push(remoteAddress);
    }
  }
  return peers;
}

/** Distinct peers connected to `port` from now until stop(), sampled every `intervalMs`. */
export function watchConnections(port: number, intervalMs = 20): { stop(): Promise<number> } {
  const seen = new Set<string>();
  const sample = async () => {
    for (const peer of peersOfPort(await readFile("/proc/net/tcp", "utf8"), port)) seen.add(peer);
  };
  let sampling = sample();
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      return seen.size;
    },
  };
}
