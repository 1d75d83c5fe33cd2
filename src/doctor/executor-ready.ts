// What an executor's /ready answer means, in the troubleshooting guide's words: a drain (it is stopping), an AVS
// with no performer routed yet, a performer it cannot reach ("Connection refused": check service status and DNS
// resolution), or its L1 chain not answering. Pure: the caller fetched the answer.
import type { Finding } from "./finding.ts";

interface ReadyBody {
  stopping?: boolean;
  performers?: Record<string, string | null>;
  unreachable?: Record<string, { performer: string; endpoint: string; problem: string }>;
  chain?: { ready?: boolean; rpcUrl?: string; problem?: string };
}

function parsed(text: string): ReadyBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === "object" && !Array.isArray(body) ? (body as ReadyBody) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Findings for an executor Pod whose /ready answered `status` with `text`; none when it is ready. `deployment`
 * is what `kubectl logs`/`rollout status` name for the Pod (deployment/NAME, else pod/NAME).
 */
export function executorReadyFindings(
  at: { object: string; namespace: string; deployment: string },
  status: number,
  text: string,
): Finding[] {
  if (status >= 200 && status < 300) return [];
  const { object, namespace: ns, deployment } = at;
  const base = { check: "Executor", object };
  const logs = `kubectl logs -n ${ns} ${deployment}`;
  const body = parsed(text);
  if (!body) {
    return [{ ...base, problem: `the executor is not ready (HTTP ${status}): ${text.trim()}`, fix: logs }];
  }
  if (body.stopping) {
    const rollout = deployment.startsWith("deployment/")
      ? `kubectl rollout status ${deployment} -n ${ns}`
      : `kubectl get pods -n ${ns} -o wide`;
    return [
      {
        ...base,
        problem:
          "the executor is draining: it is stopping, refuses new tasks and finishes those in flight (/ready 503)",
        fix: `wait for its replacement to become Ready (${rollout}); ${logs} shows the drain`,
      },
    ];
  }
  const findings: Finding[] = [];
  for (const [avs, at] of Object.entries(body.unreachable ?? {})) {
    findings.push({
      ...base,
      problem: `Connection refused: the executor cannot reach performer ${at.performer} of AVS ${avs} at ${at.endpoint}: ${at.problem}`,
      fix: `check service status and DNS resolution: kubectl get endpoints -n ${ns}; kubectl get services -n ${ns}; kubectl run test-dns --image=busybox:1.35 --rm -i --restart=Never -n ${ns} -- nslookup ${at.endpoint.replace(/:\d+$/, "")}`,
    });
  }
  const unrouted = Object.entries(body.performers ?? {}).filter(([, performer]) => performer === null);
  for (const [avs] of unrouted) {
    findings.push({
      ...base,
      problem: `no performer of AVS ${avs} takes tasks yet: the executor waits for its Performer to become Ready`,
      fix: `kubectl get performers -n ${ns} -o yaml (the Performer's conditions say why it is not Ready); ${logs}`,
    });
  }
  if (body.chain && body.chain.ready === false) {
    findings.push({
      ...base,
      problem: `the executor's L1 chain does not answer at ${body.chain.rpcUrl ?? "its l1_chain.rpc_url"}${body.chain.problem ? `: ${body.chain.problem}` : ""}`,
      fix: "check the config's l1_chain.rpc_url (l1Chain.rpcUrl) and that the chain's RPC is reachable from the executor's Pod",
    });
  }
  if (findings.length === 0) {
    findings.push({ ...base, problem: `the executor is not ready: ${text.trim()}`, fix: logs });
  }
  return findings;
}
