// The Performer controller with a real node: kube-scheduler, a kubelet on containerd and runc, CoreDNS and
// kube-proxy (test/controlplane/node.ts). Here the kubelet and the scheduler have their say — Running and Ready
// through the probe, a real image pull failure, a container that exits, a Pod no node fits, a failing readiness
// probe — and the executor reaches its performer through the Service's DNS name. The last test stops the node
// and compares the host with what it was before the node started.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import type { Performer, PerformerCondition } from "../../src/api/performer.ts";
import { isNotFound } from "../../src/kube/api-errors.ts";
import { runningControlPlane } from "../controlplane/controlplane.ts";
import { type LocalNode, nodePaths, startNode } from "../controlplane/node.ts";
import { NODE } from "../controlplane/node-config.ts";
import { type OperatorProcess, startOperator } from "../controlplane/operator-process.ts";
import { testCluster, useNamespace } from "../support/cluster.ts";
import { type DoctorRun, doctor, has } from "../support/doctor-cli.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient } from "../support/grpc-clients.ts";
import {
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../support/grpc-executor-config.ts";
import { startExecutorProcess } from "../support/grpc-processes.ts";
import { hostSnapshot, leftovers, NOTHING_LEFT, nodeLinks } from "../support/host-snapshot.ts";
import { startTestChain } from "../support/test-chain.ts";

const run = promisify(execFile);
const GROUP = { group: "hourglass.eigenlayer.io", version: "v1alpha1", plural: "performers" };
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const POD_WAIT = { timeoutMs: 120_000, intervalMs: 500 };

const cluster = testCluster();
const kc = cluster.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const cp = runningControlPlane(cluster.stateDir)!;

/** The sample performer's image as imported, its probe quick so that the tests need not wait 30 s. */
function samplePerformer(spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    avsAddress: AVS,
    image: "hourglass-example-performer",
    version: "dev",
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    healthCheck: { type: "http", path: "/health", port: 8090, initialDelaySeconds: 1, periodSeconds: 1 },
    ...spec,
  };
}

async function createPerformer(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace,
    body: { apiVersion: "hourglass.eigenlayer.io/v1alpha1", kind: "Performer", metadata: { name }, spec },
  });
}

async function performer(namespace: string, name: string): Promise<Performer> {
  return custom.getNamespacedCustomObject({ ...GROUP, namespace, name });
}

function condition(p: Performer, type: string): PerformerCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the Performer's status satisfies `ok`; on a timeout, the message shows the last status. */
async function performerWhere(namespace: string, name: string, what: string, ok: (p: Performer) => boolean) {
  let last: Performer | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await performer(namespace, name);
        return ok(last) ? last : undefined;
      },
      POD_WAIT,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

async function pod(namespace: string, name: string): Promise<V1Pod> {
  return core.readNamespacedPod({ namespace, name: `performer-${name}` });
}

/** The Pod's performer container status, once the controller has made the Pod. */
async function containerStatus(namespace: string, name: string) {
  const found = await pod(namespace, name).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  return found?.status?.containerStatuses?.[0];
}

/** `hourglass doctor` on the namespace: what it says of the Performer's Pod, with the kubelet's own status. */
async function doctorOn(namespace: string): Promise<DoctorRun> {
  const run = await doctor(["--namespace", namespace, "--output", "json"]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  return run;
}

describe("Performers on a real node", { concurrency: false }, () => {
  let node: LocalNode;
  let operator: OperatorProcess;
  let baseline: Awaited<ReturnType<typeof hostSnapshot>>;

  before(async () => {
    node = await startNode(cp, {
      owner: `make test-integration in ${process.cwd()}`,
      onLocked: async () => {
        baseline = await hostSnapshot();
      },
      onWait: (holder) => process.stderr.write(`waiting for the local node's lock (${holder})\n`),
    });
    operator = await startOperator({
      kubeconfigPath: cluster.kubeconfigPath,
      webhookPort: 0,
      webhookCertDir: cluster.webhookCertDir,
      controller: true,
      logFile: join(cluster.stateDir, "logs", "operator-node-tests.log"),
    });
  });
  after(async () => {
    await operator?.stop();
    await node?.stop();
  });

  it("a Performer becomes Running and Ready through its readiness probe, its Pod on the node's bridge", async (t) => {
    const ns = await useNamespace(t, "node");
    await createPerformer(ns, "ready", samplePerformer());
    const ready = await performerWhere(ns, "ready", "Running", (p) => p.status?.phase === "Running");
    assert.equal(condition(ready, "Ready")?.status, "True");
    assert.equal(
      condition(ready, "Scheduled")?.message,
      `Pod performer-ready is scheduled to node ${NODE.name}`,
    );
    const p = await pod(ns, "ready");
    assert.equal(p.spec?.nodeName, NODE.name);
    assert.equal(p.status?.hostIP, NODE.ip);
    assert.match(p.status?.podIP ?? "", /^198\.18\.0\.\d+$/);
    assert.equal(p.status?.containerStatuses?.[0]?.ready, true);
    // The kubelet's own answer through the apiserver (Node authorizer, the kubelet's webhook authn/authz).
    const { stdout } = await run(join(cluster.binDir, "kubectl"), [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      "logs",
      "-n",
      ns,
      `performer-ready`,
    ]);
    assert.match(stdout, /"msg":"listening"/);
  });

  it("an image that was not imported: ErrImagePull/ImagePullBackOff from the kubelet, at once and with no DNS lookup", async (t) => {
    const ns = await useNamespace(t, "node");
    await createPerformer(ns, "missing", samplePerformer({ image: "hourglass-not-imported", version: "1" }));
    const failed = await performerWhere(
      ns,
      "missing",
      "ImageAvailable=False",
      (p) => condition(p, "ImageAvailable")?.status === "False",
    );
    const image = condition(failed, "ImageAvailable")!;
    assert.match(image.reason, /^(ErrImagePull|ImagePullBackOff)$/);
    // containerd's hosts configuration sent the pull to the closed loopback port, not to a registry's name.
    assert.match(image.message, /127\.0\.0\.1:1/);
    assert.equal(failed.status?.phase, "Pending");
    const finding = has(
      await doctorOn(ns),
      /^(ErrImagePull|ImagePullBackOff): cannot pull image hourglass-not-imported:1: .*127\.0\.0\.1:1/,
      /check the image name .*registry access.*imagePullSecrets/,
    );
    assert.equal(finding.object, `pod/performer-missing -n ${ns}`);
  });

  it("a container that exits: the kubelet restarts it, and the Performer says with which exit code", async (t) => {
    const ns = await useNamespace(t, "node");
    // The sample performer refuses a port that is not a number, and exits with 1.
    await createPerformer(
      ns,
      "crasher",
      samplePerformer({
        config: { grpcPort: 9090, env: [{ name: "PERFORMER_HEALTH_PORT", value: "none" }] },
      }),
    );
    const restarted = await eventually(
      "a restart with exit code 1",
      async () => {
        const status = await containerStatus(ns, "crasher");
        return (status?.restartCount ?? 0) >= 1 && status?.lastState?.terminated?.exitCode === 1
          ? status
          : undefined;
      },
      POD_WAIT,
    );
    assert.ok(restarted.restartCount >= 1);
    const reported = await performerWhere(ns, "crasher", "exit code in the status", (p) =>
      /exit(ed with)? code 1/.test(condition(p, "Ready")?.message ?? ""),
    );
    assert.notEqual(reported.status?.phase, "Running");
    assert.equal(condition(reported, "Ready")?.status, "False");
  });

  it("cpu: 64 → Scheduled=False, Unschedulable, quoting the scheduler", async (t) => {
    const ns = await useNamespace(t, "node");
    await createPerformer(
      ns,
      "huge",
      samplePerformer({
        resources: { requests: { cpu: "64", memory: "64Mi" }, limits: { cpu: "64", memory: "256Mi" } },
      }),
    );
    const pending = await performerWhere(
      ns,
      "huge",
      "Scheduled=False",
      (p) => condition(p, "Scheduled")?.status === "False",
    );
    const scheduled = condition(pending, "Scheduled")!;
    assert.equal(scheduled.reason, "Unschedulable");
    assert.match(scheduled.message, /0\/\d+ nodes are available: .*\d+ Insufficient cpu/);
    assert.equal(pending.status?.phase, "Pending");
    has(
      await doctorOn(ns),
      /^Insufficient resources: 0\/\d+ nodes are available: .*\d+ Insufficient cpu/,
      /scale up the cluster or reduce the Performer's spec\.resources\.requests/,
    );
  });

  it("a readiness probe that keeps failing → phase Unhealthy", async (t) => {
    const ns = await useNamespace(t, "node");
    await createPerformer(
      ns,
      "unhealthy",
      samplePerformer({
        healthCheck: {
          type: "http",
          path: "/not-served",
          port: 8090,
          initialDelaySeconds: 1,
          periodSeconds: 1,
        },
      }),
    );
    const unhealthy = await performerWhere(
      ns,
      "unhealthy",
      "Unhealthy",
      (p) => p.status?.phase === "Unhealthy",
    );
    assert.equal(condition(unhealthy, "Ready")?.reason, "ReadinessProbeFailed");
    assert.equal((await pod(ns, "unhealthy")).status?.phase, "Running");
    // The probe's own words come from the kubelet's Unhealthy Event.
    has(
      await doctorOn(ns),
      /^container performer is running but failing its readiness probe: Readiness probe failed: HTTP probe failed with statuscode: \d+/,
      /fix the health endpoint/,
    );
  });

  it("a ResourceQuota used up: the quota admission refuses the next Pod, and the doctor names the quota", async (t) => {
    const ns = await useNamespace(t, "node");
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: "pods" }, spec: { hard: { pods: "1" } } },
    });
    await createPerformer(ns, "first", samplePerformer());
    await performerWhere(ns, "first", "Running", (p) => p.status?.phase === "Running");
    await createPerformer(ns, "second", samplePerformer());
    // Counted by the ResourceQuota controller, not written by the test.
    const run = await eventually(
      "the quota counted and the doctor naming it",
      async () => {
        const r = await doctor(["--namespace", ns, "--output", "json"]);
        return r.findings.some((f) => /^Resource quota exceeded/.test(f.problem)) ? r : undefined;
      },
      POD_WAIT,
    );
    assert.equal(run.code, 1);
    has(
      run,
      /^Resource quota exceeded: pods used 1 of 1; new Pods are refused/,
      new RegExp(`kubectl describe resourcequota -n ${ns}`),
    );
    await assert.rejects(pod(ns, "second"), (e) => isNotFound(e));
  });

  it("the executor routes through the Service's DNS name; a killed container is restarted and the executor recovers", async (t) => {
    const ns = await useNamespace(t, "node");
    const dir = await testDir("executor-node");
    const operatorKey = await testOperator(dir);
    const avs = testAvsAddress();
    const chain = await startTestChain();
    t.after(() => chain.stop());
    await chain.addAvs(avs, operatorKey.address);
    const config = await writeExecutorConfig(dir, {
      aggregator_endpoint: "127.0.0.1:9010",
      deployment_mode: "kubernetes",
      operator: { address: operatorKey.address, ecdsa_key_file: operatorKey.keyFile },
      l1_chain: chain.l1Chain,
      // The guide's service_pattern, resolved by the node's CoreDNS, routed by kube-proxy.
      performer_config: { startup_timeout: "2m", connection_timeout: "5s", retry_attempts: 3 },
      kubernetes: {
        namespace: ns,
        operator_namespace: "hourglass-system",
        performer_crd_group: "hourglass.eigenlayer.io",
        performer_crd_version: "v1alpha1",
        connection_timeout: "30s",
        kubeconfig: cluster.kubeconfigPath,
        cleanup_on_shutdown: true,
        cleanup_timeout: "30s",
      },
      avs_config: {
        supported_avs: [
          {
            address: avs,
            name: "node-avs",
            performer_image: "hourglass-example-performer",
            performer_version: "dev",
            deployment_mode: "kubernetes",
          },
        ],
      },
    });
    const executor = await startExecutorProcess(config, { resolvConf: node.resolvConf });
    t.after(() => executor.stop());
    const client = executorClient(executor.grpcAddress);
    t.after(() => client.close());
    await executor.waitForLog((l) => l.msg === "performers ready", 180_000);
    // Tasks signed by the AVS's aggregator, answered with results the aggregator's check accepts.
    const first = await chain.task(avs, operatorKey.address, Buffer.from("through the service name"));
    await chain.checkResult(first, await client.submitTask(first), operatorKey.address);
    const [name] = (await client.listPerformers(avs)).performers.map((p) => p.performer_id);
    const service = await core.readNamespacedService({ namespace: ns, name: `performer-${name}` });
    assert.match(service.spec?.clusterIP ?? "", /^198\.19\./);

    // Kill the performer's container under the kubelet's feet.
    const before = (await pod(ns, name!)).status!.containerStatuses![0]!;
    const containerId = before.containerID!.replace(/^containerd:\/\//, "");
    await run(join(cp.binaries.containerdDir, "ctr"), [
      "--address",
      nodePaths(join(cp.dir, "node")).containerdSocket,
      "-n",
      "k8s.io",
      "tasks",
      "kill",
      "--signal",
      "SIGKILL",
      containerId,
    ]);
    await eventually(
      "the kubelet's restart",
      async () => {
        const status = await containerStatus(ns, name!);
        return status && status.restartCount > before.restartCount && status.ready ? status : undefined;
      },
      POD_WAIT,
    );
    // The same task until it is answered: one that failed on the way to the performer was not processed.
    const afterRestart = await chain.task(avs, operatorKey.address, Buffer.from("after the restart"));
    const recovered = await eventually(
      "a task answered after the restart",
      () => client.submitTask(afterRestart).catch(() => undefined),
      POD_WAIT,
    );
    await chain.checkResult(afterRestart, recovered, operatorKey.address);
  });

  it("stopping the node leaves no process, mount, link, route, netns or nft table behind", async () => {
    await operator.stop();
    const links = nodeLinks();
    assert.ok(links.includes(NODE.bridge));
    // Still holding the lock: another run's node cannot have started meanwhile.
    await node.stop({ keepLock: true });
    const found = leftovers(baseline, await hostSnapshot(links));
    await node.releaseLock();
    assert.deepEqual(found, NOTHING_LEFT);
  });
});
