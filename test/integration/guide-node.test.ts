// The troubleshooting guide's commands that need a kubelet, verbatim, on the real node (test/controlplane/node.ts):
// Pod logs, exec, port-forward, DNS from a Pod with the guide's busybox:1.35, CoreDNS's log and restart, and the
// cluster-info dump. What runs is what `make deploy` and `make deploy-samples` install: the operator's Deployment
// (config/rbac, config/manager; one replica, its webhook certificate a Secret made here instead of cert-manager's),
// the sample AVS's executor (config/executor, with the operator key Secret its comment asks for) and the sample
// Performer (config/samples), each from the images `make image` builds. guide-commands.test.ts's list marks these
// commands "on the real node" and checks that each has its test here, named by the command as the guide writes it.
// Last, `hourglass doctor` on a healthy namespace of this cluster exits 0.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, runningControlPlane } from "../controlplane/controlplane.ts";
import { importImages, type LocalNode, startNode } from "../controlplane/node.ts";
import { ensureProjectImages } from "../controlplane/node-images.ts";
import { kubectl, testCluster, useNamespace } from "../support/cluster.ts";
import { doctor } from "../support/doctor-cli.ts";
import { eventually } from "../support/eventually.ts";
import { guideEnv, runs, sh } from "../support/guide-shell.ts";
import { pprofTop } from "../support/pprof.ts";

const root = join(import.meta.dirname, "..", "..");
const cluster = testCluster();
const cp = runningControlPlane(cluster.stateDir)!;
const NS = "my-avs-project";
const WAIT = { timeoutMs: 180_000, intervalMs: 1_000 };
/** Hardhat's second development account, the address config/executor's sample config names: a key known to all,
 * for a chain that is not there. */
const SAMPLE_OPERATOR_KEY = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, { input });
  assert.equal(result.code, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}

async function podsOf(namespace: string, selector: string): Promise<PodJson[]> {
  return (
    JSON.parse(await ok(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"])) as {
      items: PodJson[];
    }
  ).items;
}

const isReady = (p: PodJson) =>
  !p.metadata.deletionTimestamp &&
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

/** The executor's Pod once Running and its executor has said it serves (it is not Ready here: no L1 chain answers
 * in this cluster; Running alone comes before the log line), optionally only one whose executor container has env
 * `name`. */
function runningExecutor(withEnv?: string): Promise<PodJson> {
  return eventually(
    `a Running my-avs-executor Pod${withEnv ? ` with ${withEnv}` : ""}, serving`,
    async () => {
      const pod = (await podsOf(NS, "app=hourglass-executor")).find(
        (p) =>
          !p.metadata.deletionTimestamp &&
          p.status.phase === "Running" &&
          (!withEnv ||
            p.spec.containers.find((c) => c.name === "executor")?.env?.some((e) => e.name === withEnv)),
      );
      if (!pod) return undefined;
      const log = await kubectl(["logs", "-n", NS, `pod/${pod.metadata.name}`, "-c", "executor"]);
      return /"msg":"executor serving"/.test(log.stdout) ? pod : undefined;
    },
    WAIT,
  );
}

/**
 * `kubectl port-forward deployment/my-avs-executor LOCAL:REMOTE -n my-avs-project`, running until `use` is done.
 * LOCAL is a free port: the guide's 8080 and 6060 may be taken on a shared machine.
 */
async function portForwarded<T>(remote: number, use: (local: number) => Promise<T>): Promise<T> {
  const local = await freePort();
  const child = spawn(
    join(cluster.binDir, "kubectl"),
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      "port-forward",
      "deployment/my-avs-executor",
      `${local}:${remote}`,
      "-n",
      NS,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let said = "";
  child.stdout.on("data", (d) => {
    said += d;
  });
  child.stderr.on("data", (d) => {
    said += d;
  });
  try {
    await eventually("port-forward listening", async () =>
      said.includes(`Forwarding from 127.0.0.1:${local} -> ${remote}`) ? true : undefined,
    );
    assert.equal(child.exitCode, null, said);
    return await use(local);
  } finally {
    child.kill();
  }
}

let node: LocalNode;

before(async () => {
  const images = await ensureProjectImages();
  node = await startNode(cp, {
    owner: `guide-node.test.ts in ${process.cwd()}`,
    onWait: (holder) => process.stderr.write(`waiting for the local node's lock (${holder})\n`),
  });
  await importImages(
    cp,
    images.map((i) => i.archive),
  );
  await ok(["apply", "-k", join(root, "config", "rbac")]);
  await ok(["apply", "-k", join(root, "config", "manager")]);
  const certs = cluster.webhookCertDir;
  await ok([
    "create",
    "secret",
    "tls",
    "hourglass-webhook-server-cert",
    "-n",
    "hourglass-system",
    `--cert=${join(certs, "tls.crt")}`,
    `--key=${join(certs, "tls.key")}`,
  ]);
  await ok(["scale", "deployment/hourglass-operator", "-n", "hourglass-system", "--replicas=1"]);
  await ok(["apply", "-k", join(root, "config", "executor")]);
  const keyDir = await mkdtemp(join(tmpdir(), "guide-node-key-"));
  await writeFile(join(keyDir, "operator.key"), `${SAMPLE_OPERATOR_KEY}\n`);
  // As config/executor/deployment.yaml's comment tells the user to.
  await runs(
    "kubectl -n my-avs-project create secret generic my-avs-operator-key --from-file=ecdsa.key=./operator.key",
    keyDir,
  );
  await ok(["apply", "-k", join(root, "config", "samples")]);
  await eventually(
    "a Ready hourglass-operator Pod",
    async () => (await podsOf("hourglass-system", "app=hourglass-operator")).find(isReady),
    WAIT,
  );
  await eventually(
    "performer-my-avs Ready (its default probe waits 30 s)",
    async () => (await podsOf(NS, "hourglass.eigenlayer.io/performer=my-avs")).find(isReady),
    WAIT,
  );
  await runningExecutor();
});

after(async () => {
  // The executor first (it deletes its Performers as it stops), then the sample Performer while the operator is
  // there to finalize it; the namespaces stay, as other test files use them.
  const gone = ["--ignore-not-found", "--timeout=90s"];
  await kubectl(["delete", "deployment/my-avs-executor", "-n", NS, ...gone]);
  await kubectl(["delete", "performer/my-avs", "-n", NS, ...gone]);
  await kubectl(["delete", "deployment/hourglass-operator", "-n", "hourglass-system", ...gone]);
  await kubectl([
    "delete",
    "secret",
    "hourglass-webhook-server-cert",
    "-n",
    "hourglass-system",
    "--ignore-not-found",
  ]);
  await node?.stop();
});

describe("Common Diagnostic Commands, Information to Gather", () => {
  it("kubectl logs -n my-avs-project deployment/my-avs-executor", async () => {
    const out = await runs("kubectl logs -n my-avs-project deployment/my-avs-executor");
    // The executor's own JSON lines: kubectl picked the container named executor.
    assert.match(out, /"msg":"executor serving"/);
  });

  it("kubectl logs -n hourglass-system deployment/hourglass-operator", async () => {
    // Ready comes before the Lease (the replica left after the scale-down may still be waiting for the one that
    // went to release it, and only the leader reconciles), and kubectl may pick a replica that is still starting.
    const out = await eventually(
      "the operator's log saying it reconciles",
      async () => {
        // A replica still in ContainerCreating has no log yet: kubectl exits 1 on it, and the next try may pick another.
        const log = await sh("kubectl logs -n hourglass-system deployment/hourglass-operator");
        return log.code === 0 && /"msg":"reconciling Performers"/.test(log.out) ? log.out : undefined;
      },
      WAIT,
    );
    assert.match(out, /"msg":"serving \/metrics, \/healthz and \/readyz"/);
  });
});

describe("Log Analysis", () => {
  it("kubectl logs -n my-avs-project deployment/my-avs-executor | grep -i error", async () => {
    // Without an L1 chain the executor says so; grep finds nothing (exit 1) only on a log with no error in it.
    const result = await sh("kubectl logs -n my-avs-project deployment/my-avs-executor | grep -i error");
    assert.ok(result.code === 0 || (result.code === 1 && result.out === ""), result.out);
    for (const line of result.out.split("\n").filter(Boolean)) assert.match(line, /error/i);
  });

  it("kubectl logs -n my-avs-project deployment/my-avs-executor -f", async () => {
    const child = spawn("bash", ["-c", "kubectl logs -n my-avs-project deployment/my-avs-executor -f"], {
      env: guideEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    try {
      await eventually("the log, followed", async () =>
        out.includes('"msg":"executor serving"') ? true : undefined,
      );
      // Still following: the command does not end by itself.
      assert.equal(child.exitCode, null);
    } finally {
      child.kill();
    }
  });

  it("kubectl logs -n my-avs-project deployment/my-avs-executor --all-containers=true", async () => {
    const out = await runs("kubectl logs -n my-avs-project deployment/my-avs-executor --all-containers=true");
    assert.match(out, /"msg":"executor serving"/);
  });

  it("kubectl logs -n my-avs-project deployment/my-avs-executor --since=1h > executor-logs.txt", async () => {
    const dir = await mkdtemp(join(tmpdir(), "guide-logs-"));
    await runs(
      "kubectl logs -n my-avs-project deployment/my-avs-executor --since=1h > executor-logs.txt",
      dir,
    );
    assert.match(await readFile(join(dir, "executor-logs.txt"), "utf8"), /"msg":"executor serving"/);
  });
});

describe("Service Discovery Problems", () => {
  it("kubectl run test-dns --image=busybox:1.35 --rm -i --restart=Never -- nslookup performer-my-performer.my-avs-project.svc.cluster.local", async () => {
    // The sample Performer is my-avs: its Service is performer-my-avs.
    const out = await runs(
      "kubectl run test-dns --image=busybox:1.35 --rm -i --restart=Never -- nslookup performer-my-avs.my-avs-project.svc.cluster.local",
    );
    const service = JSON.parse(await ok(["get", "service", "performer-my-avs", "-n", NS, "-o", "json"]));
    assert.match(out, /Name:\s+performer-my-avs\.my-avs-project\.svc\.cluster\.local\s*\nAddress:\s+(\S+)/);
    assert.equal(/Name:\s+performer-my-avs\S*\s*\nAddress:\s+(\S+)/.exec(out)?.[1], service.spec.clusterIP);
    assert.match(out, /pod "test-dns" deleted/);
  });

  it("kubectl logs -n kube-system deployment/coredns", async () => {
    const out = await runs("kubectl logs -n kube-system deployment/coredns");
    // The log plugin's line for the lookup above, asked from the busybox Pod.
    assert.match(
      out,
      /"A IN performer-my-avs\.my-avs-project\.svc\.cluster\.local\. udp \d+ false \d+" NOERROR/,
    );
  });

  it("kubectl rollout restart deployment/coredns -n kube-system", async () => {
    const before = (await podsOf("kube-system", "k8s-app=kube-dns")).map((p) => p.metadata.name);
    const out = await runs("kubectl rollout restart deployment/coredns -n kube-system");
    assert.match(out, /deployment.apps\/coredns restarted/);
    await runs("kubectl rollout status deployment/coredns -n kube-system --timeout=120s");
    const after = (await podsOf("kube-system", "k8s-app=kube-dns")).filter(isReady);
    assert.equal(after.length, 1);
    assert.ok(!before.includes(after[0]!.metadata.name), "a new CoreDNS Pod");
    // And it answers: the name the executor dials resolves again, from a Pod.
    const again = await runs(
      "kubectl run test-dns --image=busybox:1.35 --rm -i --restart=Never -- nslookup performer-my-avs.my-avs-project.svc.cluster.local",
    );
    assert.match(again, /Name:\s+performer-my-avs\.my-avs-project\.svc\.cluster\.local/);
  });
});

describe("Performer Health Check Failures", () => {
  it("kubectl exec -it performer-pod-name -n my-avs-project -- wget -qO- http://localhost:8090/health", async () => {
    const out = await runs(
      "kubectl exec -it performer-my-avs -n my-avs-project -- wget -qO- http://localhost:8090/health",
    );
    assert.match(out, /"status":"SERVING"/);
  });
});

describe("Debug Mode Setup", () => {
  it("kubectl port-forward deployment/my-avs-executor 8080:8080 -n my-avs-project", async () => {
    await runningExecutor();
    // And the guide's next step through it: curl http://localhost:8080/metrics.
    const out = await portForwarded(8080, (local) => runs(`curl -s http://localhost:${local}/metrics`));
    assert.match(out, /^# TYPE hourglass_executor_tasks_total counter$/m);
  });
});

describe("Performance Profiling", () => {
  it("kubectl port-forward deployment/my-avs-executor 6060:6060 -n my-avs-project", async () => {
    await runs(
      `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"ENABLE_PROFILING","value":"true"}]}]}}}}'`,
    );
    const pod = await runningExecutor("ENABLE_PROFILING");
    // Running is not yet serving: the profiles are there once the executor says so.
    await eventually(
      "the executor serving profiles on 6060",
      async () => {
        const log = await kubectl(["logs", "-n", NS, `pod/${pod.metadata.name}`, "-c", "executor"]);
        return /"msg":"executor serving"/.test(log.stdout) && /"profiling":6060/.test(log.stdout)
          ? true
          : undefined;
      },
      WAIT,
    );
    // go tool pprof http://localhost:6060/debug/pprof/profile, with -top and 2 s instead of the prompt and 30 s.
    const [cpu, heap] = await portForwarded(6060, async (local) => [
      await pprofTop(`http://localhost:${local}/debug/pprof/profile?seconds=2`),
      await pprofTop(`http://localhost:${local}/debug/pprof/heap`),
    ]);
    assert.match(cpu, /^Type: wall$/m);
    assert.match(heap, /^Type: inuse_space$/m);
  });
});

describe("Advanced Debugging", () => {
  it("kubectl cluster-info dump --output-directory=./hourglass-diagnostics", async () => {
    const dir = await mkdtemp(join(tmpdir(), "guide-dump-"));
    await runs("kubectl cluster-info dump --output-directory=./hourglass-diagnostics", dir);
    const dump = join(dir, "hourglass-diagnostics");
    assert.ok(existsSync(join(dump, "nodes.json")));
    // The kubelet served each Pod's log: CoreDNS's, in kube-system, is in the dump.
    const [coredns] = (await readdir(join(dump, "kube-system"))).filter((f) => f.startsWith("coredns-"));
    assert.ok(coredns, "no CoreDNS Pod in the dump");
    assert.match(
      await readFile(join(dump, "kube-system", coredns, "logs.txt"), "utf8"),
      /CoreDNS-\d+\.\d+\.\d+/,
    );
  });
});

describe("hourglass doctor on the real node", () => {
  it("a healthy install (the operator's Deployment, its Lease, a Running Performer): exit 0", async (t) => {
    const ns = await useNamespace(t, "doctor-node");
    await ok(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "hourglass.eigenlayer.io/v1alpha1",
        kind: "Performer",
        metadata: { name: "p", namespace: ns },
        spec: {
          avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
          image: "hourglass-example-performer",
          version: "dev",
          resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
          healthCheck: {
            type: "http",
            path: "/health",
            port: 8090,
            initialDelaySeconds: 1,
            periodSeconds: 1,
          },
        },
      }),
    );
    await eventually(
      "performer/p Running",
      async () => {
        const p = JSON.parse(await ok(["get", "performer", "p", "-n", ns, "-o", "json"]));
        return p.status?.phase === "Running" ? p : undefined;
      },
      WAIT,
    );
    const run = await eventually(
      "the doctor finding nothing",
      async () => {
        const r = await doctor(["--namespace", ns]);
        return r.code === 0 ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2_000 },
    ).catch(async () => doctor(["--namespace", ns]));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`performer/p -n ${ns}: Running; the executor dials performer-p\\.${ns}\\.svc`),
    );
  });
});
