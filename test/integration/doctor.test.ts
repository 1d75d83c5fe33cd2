// `hourglass doctor` against the real apiserver: each fault the troubleshooting guide describes is seeded (the
// kubelet's and scheduler's part written as test/support/kubelet.ts plays them), and the doctor must name it
// with its fix; a healthy install gives exit 0.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, type TestContext, test } from "node:test";
import { promisify } from "node:util";
import { CoreV1Api, CustomObjectsApi, type V1Pod, type V1PodStatus } from "@kubernetes/client-node";
import { type OperatorProcess, startOperator } from "../controlplane/operator-process.ts";
import { kubectl, serviceAccountKubeconfig, testCluster, useNamespace } from "../support/cluster.ts";
import { doctor, has } from "../support/doctor-cli.ts";
import { eventually } from "../support/eventually.ts";
import {
  imagePullFailingStatus,
  readinessFailingStatus,
  runningReadyStatus,
  standInNode,
  unschedulableStatus,
  writePodStatus,
} from "../support/kubelet.ts";

const root = join(import.meta.dirname, "..", "..");
const cluster = testCluster();
const kc = cluster.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const GROUP = { group: "hourglass.eigenlayer.io", version: "v1alpha1", plural: "performers" };
const AVS = "0x1234567890abcdef1234567890abcdef12345678";

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, { input });
  assert.equal(result.code, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

async function createPerformer(namespace: string, name: string): Promise<void> {
  await custom.createNamespacedCustomObject({
    ...GROUP,
    namespace,
    body: {
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      metadata: { name },
      spec: { avsAddress: AVS, image: "registry.example/avs/performer", version: "v1.0.0" },
    },
  });
}

/** Waits for the operator to create the Performer's Pod, then writes `status` on it as the kubelet would. */
async function seedPod(namespace: string, name: string, status: (pod: V1Pod) => V1PodStatus): Promise<void> {
  const pod = await eventually(`pod/performer-${name}`, async () => {
    try {
      return await core.readNamespacedPod({ namespace, name: `performer-${name}` });
    } catch {
      return undefined;
    }
  });
  await writePodStatus(kc, namespace, pod.metadata!.name!, status(pod));
}

/** The stand-in Node (test/support/kubelet.ts) the Pods here are bound to. */
const NODE = "doctor-node";

async function healthyPerformer(t: TestContext, prefix: string): Promise<string> {
  const ns = await useNamespace(t, prefix);
  await createPerformer(ns, "p");
  const pod = await eventually("pod/performer-p", async () => {
    try {
      return await core.readNamespacedPod({ namespace: ns, name: "performer-p" });
    } catch {
      return undefined;
    }
  });
  await core.createNamespacedPodBinding({
    name: pod.metadata!.name!,
    namespace: ns,
    body: { metadata: { name: pod.metadata!.name! }, target: { kind: "Node", name: NODE } },
  });
  await seedPod(ns, "p", (p) => runningReadyStatus(p, new Date(Date.now() - 60_000)));
  await eventually("performer/p Running", async () => {
    const p = (await custom.getNamespacedCustomObject({ ...GROUP, namespace: ns, name: "p" })) as {
      status?: { phase?: string };
    };
    return p.status?.phase === "Running" ? p : undefined;
  });
  await eventually("a ready endpoint for performer-p", async () => {
    const slices = await kc
      .makeApiClient((await import("@kubernetes/client-node")).DiscoveryV1Api)
      .listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: "kubernetes.io/service-name=performer-p",
      });
    return slices.items.some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready)) ? true : undefined;
  });
  return ns;
}

// Written while the validating webhook is away, as a config admitted before an upgrade would be.
async function withoutWebhook(apply: () => Promise<void>): Promise<void> {
  const saved = await ok([
    "get",
    "validatingwebhookconfiguration",
    "hourglass-validating-webhook",
    "-o",
    "json",
  ]);
  const config = JSON.parse(saved);
  delete config.metadata.resourceVersion;
  delete config.metadata.uid;
  delete config.metadata.creationTimestamp;
  delete config.metadata.managedFields;
  delete config.metadata.generation;
  await ok(["delete", "validatingwebhookconfiguration", "hourglass-validating-webhook"]);
  try {
    await apply();
  } finally {
    await ok(["create", "-f", "-"], JSON.stringify(config));
  }
}

const configMap = (ns: string, text: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "executor",
      namespace: ns,
      labels: { "hourglass.eigenlayer.io/executor-config": "true" },
    },
    data: { "config.yaml": text },
  });

let operator: OperatorProcess;
let deleteNode: (() => Promise<void>) | undefined;
const roleFile = join(root, "config", "rbac", "role.yaml");

before(async () => {
  deleteNode = await standInNode(kc, NODE);
  await ok(["apply", "-k", join(root, "config", "rbac")]);
  await ok(["apply", "-k", join(root, "config", "manager")]);
  // No Deployment controller or kubelet runs here: the status a ready rollout has.
  await ok([
    "patch",
    "deployment/hourglass-operator",
    "-n",
    "hourglass-system",
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: { replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2 } }),
  ]);
  operator = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    webhookPort: 0,
    webhookCertDir: "",
    controller: true,
    logFile: join(cluster.stateDir, "logs", "operator-doctor.log"),
    extraArgs: ["--leader-elect"],
  });
  await eventually("the leader Lease", async () => {
    const lease = await ok(["get", "lease", "hourglass-operator", "-n", "hourglass-system", "-o", "json"]);
    return JSON.parse(lease).spec?.holderIdentity ? true : undefined;
  });
});

after(async () => {
  await deleteNode?.();
  await operator?.stop();
  await kubectl(["apply", "-f", roleFile]);
});

test("a healthy install: exit 0, and the Performer's DNS name is shown", async (t) => {
  const ns = await healthyPerformer(t, "doc-ok");
  const run = await doctor(["--namespace", ns]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(
    run.stdout,
    new RegExp(
      `performer/p -n ${ns}: Running; the executor dials performer-p\\.${ns}\\.svc\\.cluster\\.local:9090`,
    ),
  );
  assert.match(run.stdout, /^healthy: no problems found/m);
});

test("usage: a bad --output is exit 2", async () => {
  const run = await doctor(["--output", "yaml"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--output: "yaml" is not one of text, json/);
});

describe("RBAC", () => {
  test("a rule taken out of the operator's ClusterRole is named with the line to add", async (t) => {
    t.after(() => kubectl(["apply", "-f", roleFile]));
    const role = JSON.parse(await ok(["get", "clusterrole", "hourglass-operator", "-o", "json"]));
    role.rules = role.rules.filter((r: { resources: string[] }) => !r.resources.includes("configmaps"));
    await ok(["replace", "-f", "-"], JSON.stringify(role));
    const run = await doctor(["--output", "json", "--namespace", "default"]);
    assert.equal(run.code, 1);
    has(
      run,
      /^Forbidden: may not list configmaps/,
      /ClusterRole hourglass-operator: - apiGroups: \[""\] {2}resources: \["configmaps"\] {2}verbs: \["list"\]/,
    );
  });

  test("the guide's ClusterRole: the doctor and the operator itself name each rule it lacks", async (t) => {
    t.after(() => kubectl(["apply", "-f", roleFile]));
    const guide = await readFile(join(root, "test", "fixtures", "guide", "cluster-role.yaml"), "utf8");
    await ok(["replace", "-f", "-"], guide);
    const run = await doctor(["--output", "json", "--namespace", "default"]);
    assert.equal(run.code, 1);
    for (const rule of [
      "patch performers/status (hourglass.eigenlayer.io)",
      "update performers/finalizers (hourglass.eigenlayer.io)",
      "list configmaps",
      "create events",
    ]) {
      has(run, new RegExp(`may not ${rule.replace(/[()/.]/g, "\\$&")}`));
    }
    // The operator, as its ServiceAccount, says the same in its log at start.
    const logFile = join(cluster.stateDir, "logs", "operator-guide-clusterrole.log");
    const limited = await startOperator({
      kubeconfigPath: await serviceAccountKubeconfig("hourglass-system", "hourglass-operator"),
      webhookPort: 0,
      webhookCertDir: "",
      controller: true,
      logFile,
    });
    t.after(() => limited.stop());
    const lines = await eventually("four missing-permission lines", async () => {
      const log = await readFile(logFile, "utf8");
      const found = log.split("\n").filter((l) => l.includes("missing permission"));
      return found.length >= 4 ? found : undefined;
    });
    const rules = lines.map((l) => JSON.parse(l).rule as string).sort();
    assert.deepEqual(
      [...new Set(rules)],
      [
        "create events",
        "list configmaps",
        "patch performers/status (hourglass.eigenlayer.io)",
        "update performers/finalizers (hourglass.eigenlayer.io)",
      ],
    );
  });
});

describe("executor configs the webhook did not see", () => {
  test("an invalid config and mixed deployment modes are named in the guide's words", async (t) => {
    const bad = await useNamespace(t, "doc-cfg");
    const mixed = await useNamespace(t, "doc-mix");
    const mixedText = await readFile(
      join(root, "test", "fixtures", "executor-config", "mixed-modes.yaml"),
      "utf8",
    );
    await withoutWebhook(async () => {
      await ok(["apply", "-f", "-"], configMap(bad, "grpc_port: 70000\ndeployment_mode: kubernetes\n"));
      await ok(["apply", "-f", "-"], configMap(mixed, mixedText));
    });
    const badRun = await doctor(["--output", "json", "--namespace", bad]);
    assert.equal(badRun.code, 1);
    has(badRun, /grpc_port \(line 1\): must be an integer from 1 to 65535/);
    has(badRun, /kubernetes configuration is required/);
    const mixedRun = await doctor(["--output", "json", "--namespace", mixed]);
    has(mixedRun, /mixed deployment modes not supported/);
  });
});

describe("Performers", () => {
  const faults: { name: string; status: (pod: V1Pod) => V1PodStatus; problem: RegExp; fix: RegExp }[] = [
    {
      name: "no-image",
      status: (pod) => imagePullFailingStatus(pod, "ImagePullBackOff"),
      problem: /^ImagePullBackOff: cannot pull image registry\.example\/avs\/performer:v1\.0\.0/,
      fix: /check the image name .*registry access.*imagePullSecrets/,
    },
    {
      name: "no-cpu",
      status: () => unschedulableStatus("0/1 nodes are available: 1 Insufficient cpu."),
      problem: /^Insufficient resources: 0\/1 nodes are available: 1 Insufficient cpu\./,
      fix: /scale up the cluster or reduce the Performer's spec\.resources\.requests/,
    },
    {
      name: "unready",
      status: (pod) => readinessFailingStatus(pod, new Date(Date.now() - 600_000)),
      problem: /running but failing its readiness probe/,
      fix: /fix the health endpoint/,
    },
  ];
  for (const fault of faults) {
    test(`${fault.name}: named on its Pod with the fix`, async (t) => {
      const ns = await useNamespace(t, `doc-${fault.name}`);
      await createPerformer(ns, "p");
      await seedPod(ns, "p", fault.status);
      const run = await doctor(["--output", "json", "--namespace", ns]);
      assert.equal(run.code, 1);
      has(run, fault.problem, fault.fix);
    });
  }

  test("a ResourceQuota used up is named with kubectl describe resourcequota", async (t) => {
    const ns = await useNamespace(t, "doc-quota");
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: "pods" }, spec: { hard: { pods: "1" } } },
    });
    await core.replaceNamespacedResourceQuotaStatus({
      namespace: ns,
      name: "pods",
      body: {
        metadata: { name: "pods" },
        spec: { hard: { pods: "1" } },
        status: { hard: { pods: "1" }, used: { pods: "1" } },
      },
    });
    const run = await doctor(["--output", "json", "--namespace", ns]);
    assert.equal(run.code, 1);
    has(
      run,
      /Resource quota exceeded: pods used 1 of 1/,
      new RegExp(`kubectl describe resourcequota -n ${ns}`),
    );
  });

  test("a Service selector patched wrong (the guide's own patch) is named against the Pod's labels", async (t) => {
    const ns = await healthyPerformer(t, "doc-svc");
    // The operator would put the selector back at once: the doctor must see it while it is wrong.
    await operator.stop();
    t.after(async () => {
      operator = await startOperator({
        kubeconfigPath: cluster.kubeconfigPath,
        webhookPort: 0,
        webhookCertDir: "",
        controller: true,
        logFile: join(cluster.stateDir, "logs", "operator-doctor-2.log"),
        extraArgs: ["--leader-elect"],
      });
    });
    await ok([
      "patch",
      "service",
      "performer-p",
      "-n",
      ns,
      "-p",
      '{"spec":{"selector":{"app":"my-performer"}}}',
    ]);
    const run = await doctor(["--output", "json", "--namespace", ns]);
    assert.equal(run.code, 1);
    has(
      run,
      /the Service's selector does not match its Pod performer-p: app=my-performer \(Pod has none\)/,
      /kubectl patch service performer-p/,
    );
  });
});

test("--bundle writes the guide's Information to Gather, secrets masked", async (t) => {
  const ns = await useNamespace(t, "doc-bundle");
  const key = "ab".repeat(32);
  const text = `grpcPort: 9090\noperator:\n  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"\n  operatorPrivateKey:\n    privateKey: "0x${key}"\n`;
  await withoutWebhook(async () => {
    await ok(["apply", "-f", "-"], configMap(ns, text));
  });
  assert.match(
    await ok([
      "get",
      "configmap",
      "-n",
      ns,
      "-l",
      "hourglass.eigenlayer.io/executor-config=true",
      "-o",
      "name",
    ]),
    /configmap\/executor/,
  );
  const dir = await mkdtemp(join(tmpdir(), "hourglass-bundle-test-"));
  const run = await doctor(["--namespace", ns, "--bundle", dir]);
  const tarball = /diagnostics bundle: (\S+)/.exec(run.stderr)?.[1];
  assert.ok(tarball, run.stderr);
  const { stdout: list } = await promisify(execFile)("tar", ["-tzf", tarball]);
  for (const file of [
    "doctor.txt",
    "environment/version.yaml",
    "environment/nodes.yaml",
    "logs/hourglass-operator.log",
    `${ns}/performers.yaml`,
    `${ns}/events.yaml`,
    `${ns}/executor-configs.yaml`,
  ]) {
    assert.match(
      list,
      new RegExp(`/${file.replace(/[./]/g, "\\$&")}$`, "m"),
      `${file} missing from the bundle`,
    );
  }
  const { stdout: all } = await promisify(execFile)("tar", ["-xzOf", tarball], { maxBuffer: 64 << 20 });
  const configs = list.split("\n").find((f) => f.endsWith(`${ns}/executor-configs.yaml`))!;
  const { stdout: shown } = await promisify(execFile)("tar", ["-xzOf", tarball, configs]);
  assert.match(shown, /configmap\/executor key config\.yaml/, `${configs}: ${shown}`);
  assert.doesNotMatch(all, new RegExp(key), "the private key left the cluster");
  assert.match(all, /operatorPrivateKey: "\*\*\*"/);
});
