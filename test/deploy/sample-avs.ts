// What the deploy test gives the sample AVS of config/executor that a user brings themselves: an L1 chain behind
// the Service the sample config names, and `kubectl port-forward` to the executor, as a user reaches it from their
// machine.
import { spawn } from "node:child_process";
import { NODE_ADDRESS } from "../controlplane/controlplane.ts";

/** Where config/executor's sample lives. */
export const SAMPLE_NAMESPACE = "my-avs-project";

/**
 * Service `anvil` (the sample config's `l1_chain.rpc_url`, http://anvil.my-avs-project.svc.cluster.local:8545)
 * without a selector, and the EndpointSlice that points it at `port` on the local node's bridge address, where a
 * chain of the host listens: what a user does for a node of theirs that runs outside the cluster.
 */
export function chainService(port: number): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "anvil", namespace: SAMPLE_NAMESPACE },
        spec: { ports: [{ name: "rpc", port: 8545, protocol: "TCP" }] },
      },
      {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "anvil-host",
          namespace: SAMPLE_NAMESPACE,
          labels: { "kubernetes.io/service-name": "anvil" },
        },
        addressType: "IPv4",
        ports: [{ name: "rpc", port, protocol: "TCP" }],
        endpoints: [{ addresses: [NODE_ADDRESS] }],
      },
    ],
  });
}

/** A running `kubectl port-forward`: the local port it listens on, and how to end it. */
export interface PortForward {
  port: number;
  close(): void;
}

/**
 * `kubectl -n NS port-forward TARGET :PORT` on 127.0.0.1, resolved once kubectl says which local port it took.
 * Fails with kubectl's output if it exits first, or when `signal` aborts.
 */
export function portForward(
  kubectl: string,
  ns: string,
  target: string,
  port: number,
  signal: AbortSignal,
): Promise<PortForward> {
  const child = spawn(kubectl, ["-n", ns, "port-forward", "--address=127.0.0.1", target, `:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const close = () => child.kill();
  let output = "";
  return new Promise<PortForward>((resolve, reject) => {
    const stop = () => {
      close();
      reject(new Error(`kubectl port-forward ${target}: ${signal.reason}; it said: ${output}`));
    };
    if (signal.aborted) return stop();
    signal.addEventListener("abort", stop, { once: true });
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (!m) return;
      signal.removeEventListener("abort", stop);
      resolve({ port: Number(m[1]), close });
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("exit", (code) => {
      signal.removeEventListener("abort", stop);
      reject(new Error(`kubectl port-forward ${target} exited ${code}: ${output}`));
    });
  });
}
