// The executor's /ready from outside, and what `hourglass doctor` makes of it: 200 while its performer takes
// tasks; 503 naming the performer and where it was dialled once the performer stops answering, and 200 again when
// it is back; 503 "stopping" while a SIGTERM drains a task in flight. The doctor reaches the executor through its
// Pod's IP and health port as on a cluster, here a stand-in Pod whose IP is this machine's loopback.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Finding } from "../../src/doctor/finding.ts";
import { kubectl, testCluster } from "../support/cluster.ts";
import { startDockerModeExecutor } from "../support/docker-mode-executor.ts";
import { doctor } from "../support/doctor-cli.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient } from "../support/grpc-clients.ts";
import { testAvsAddress } from "../support/grpc-executor-config.ts";
import {
  type ExecutorProcess,
  type SamplePerformerProcess,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { standInNode, writePodStatus } from "../support/kubelet.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

const cluster = testCluster();
const kc = cluster.kubeConfig();
const NODE = "ready-node";
const NS = "executor-ready";
/** The executor checks its performers every 10 s: a change shows within one round, plus room for a slow machine. */
const ROUND = { timeoutMs: 60_000, intervalMs: 250 };

interface Ready {
  status: number;
  body: {
    ready: boolean;
    stopping: boolean;
    performers: Record<string, string | null>;
    unreachable?: Record<string, { performer: string; endpoint: string; problem: string }>;
  };
}

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, { input });
  assert.equal(result.code, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** `hourglass doctor -n NS -o json`: its findings about the executor only (RBAC and the rest are other tests'). */
async function doctorOnExecutor(): Promise<Finding[]> {
  const run = await doctor(["--namespace", NS, "--output", "json"]);
  return run.findings.filter((f) => f.check === "Executor");
}

let chain: TestChain;
let performer: SamplePerformerProcess;
let executor: ExecutorProcess;
let avs: string;
let operatorAddress: string;
let deleteNode: () => Promise<void>;

const ready = async (): Promise<Ready> => {
  const response = await fetch(`http://127.0.0.1:${executor.ports.health}/ready`);
  return { status: response.status, body: (await response.json()) as Ready["body"] };
};
const readyWhere = (what: string, check: (r: Ready) => boolean) =>
  eventually(
    what,
    async () => {
      const r = await ready();
      return check(r) ? r : undefined;
    },
    ROUND,
  );

before(async () => {
  chain = await startTestChain();
  avs = testAvsAddress();
  performer = await startSamplePerformer({ delayMs: 3_000 });
  // Tasks may take a minute: the drain below waits for a slow one.
  const started = await startDockerModeExecutor(
    "executor-ready",
    chain,
    [{ address: avs, name: "my-avs", endpoint: performer.address }],
    { performerConfig: { connection_timeout: "60s" } },
  );
  operatorAddress = started.operator.address;
  executor = started.executor;
  await executor.waitForLog((l) => l.msg === "performers ready");

  // The executor's Pod as the Deployment's would be: the guide's label, its health port, its IP reachable here.
  deleteNode = await standInNode(kc, NODE);
  await kubectl(["create", "namespace", NS]);
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "my-avs-executor", namespace: NS, labels: { app: "hourglass-executor" } },
    spec: {
      nodeName: NODE,
      containers: [
        {
          name: "executor",
          image: "hourglass-k8s:dev",
          ports: [{ name: "health", containerPort: executor.ports.health }],
        },
      ],
    },
  };
  await ok(["apply", "-f", "-"], JSON.stringify(pod));
  await writePodStatus(kc, NS, "my-avs-executor", {
    phase: "Running",
    hostIP: "127.0.0.1",
    podIP: "127.0.0.1",
    podIPs: [{ ip: "127.0.0.1" }],
  });
});

after(async () => {
  await executor?.stop();
  await performer?.stop();
  await chain?.stop();
  await kubectl(["delete", "namespace", NS, "--wait=false"]);
  await deleteNode?.();
});

describe("the executor's /ready, and hourglass doctor reading it", { concurrency: false }, () => {
  it("200 while its performer answers, and the doctor finds nothing wrong with the executor", async () => {
    const r = await readyWhere("a health round that found the performer", (x) => x.status === 200);
    assert.deepEqual([r.body.ready, r.body.stopping, r.body.unreachable], [true, false, undefined]);
    assert.ok(r.body.performers[avs]);
    assert.deepEqual(await doctorOnExecutor(), []);
  });

  it("503 naming the performer and where it was dialled while it does not answer; the doctor says Connection refused", async () => {
    const port = performer.grpcPort;
    await performer.stop();
    const down = await readyWhere(
      "503 with the performer unreachable",
      (x) => x.body.unreachable !== undefined,
    );
    assert.equal(down.status, 503);
    assert.equal(down.body.stopping, false);
    const unreachable = down.body.unreachable![avs]!;
    assert.equal(unreachable.endpoint, `127.0.0.1:${port}`);
    assert.match(unreachable.problem, /UNAVAILABLE/);
    const findings = await doctorOnExecutor();
    assert.equal(findings.length, 1, JSON.stringify(findings));
    assert.equal(findings[0]!.object, `pod/my-avs-executor -n ${NS}`);
    assert.match(
      findings[0]!.problem,
      new RegExp(
        `^Connection refused: the executor cannot reach performer \\S+ of AVS ${avs} at 127\\.0\\.0\\.1:${port}: .*UNAVAILABLE`,
      ),
    );
    assert.match(
      findings[0]!.fix,
      new RegExp(`^check service status and DNS resolution: kubectl get endpoints -n ${NS}`),
    );

    // Back on the same port: ready again after the next round, and nothing for the doctor to say.
    performer = await startSamplePerformer({ delayMs: 3_000, grpcPort: port });
    await readyWhere("200 with the performer back", (x) => x.status === 200);
    assert.deepEqual(await doctorOnExecutor(), []);
  });

  it("503 stopping while a SIGTERM drains a task in flight; the doctor says the executor is draining", async () => {
    // A task that takes 20 s at the performer: the drain lasts that long, long enough for the doctor to ask.
    const port = performer.grpcPort;
    await performer.stop();
    performer = await startSamplePerformer({ delayMs: 20_000, grpcPort: port });
    await readyWhere("200 with the slow performer", (x) => x.status === 200);
    const client = executorClient(executor.grpcAddress);
    const task = await chain.task(avs, operatorAddress, Buffer.from("in flight through the drain"));
    const answered = client.submitTask(task);
    await eventually("the task at the performer", async () => {
      const health = await fetch(`http://127.0.0.1:${performer.healthPort}/health`);
      return ((await health.json()) as { inFlight: number }).inFlight > 0 ? true : undefined;
    });
    executor.child.kill("SIGTERM");
    await executor.waitForLog((l) => l.msg === "stopping: refusing new tasks, draining those in flight");
    const draining = await ready();
    assert.equal(draining.status, 503);
    assert.equal(draining.body.stopping, true);
    const [finding, ...rest] = await doctorOnExecutor();
    assert.equal(rest.length, 0);
    assert.match(
      finding!.problem,
      /^the executor is draining: it is stopping, refuses new tasks and finishes those in flight/,
    );
    assert.match(finding!.fix, /^wait for its replacement to become Ready/);
    // The drain finishes what it had: the task is answered, then the process ends by itself.
    await chain.checkResult(task, await answered, operatorAddress);
    client.close();
    assert.equal(await executor.exited, 0);
  });
});
