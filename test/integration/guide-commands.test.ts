// Every command of the troubleshooting guide, as a user types it, against what `make deploy` and
// `make deploy-samples` install (config/rbac, config/manager, config/executor, config/samples) on the local control
// plane, with the operator running. One entry per command of the guide, in its order: each either runs here,
// verbatim through bash with this cluster's kubectl first on PATH, and has its output checked, or says why it
// cannot run on this machine. Pods the local control plane has no controller or kubelet for are written as
// they would be (test/support/kubelet.ts), so that the guide's label selectors have something to match.
// Commands that need a kubelet (Pod logs, exec, port-forward, DNS from a Pod, CoreDNS) are marked realNode: they
// run in guide-node.test.ts, on the real node.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { type OperatorProcess, startOperator } from "../controlplane/operator-process.ts";
import { kubectl, testCluster } from "../support/cluster.ts";
import { eventually } from "../support/eventually.ts";
import { grpcHealthStatus } from "../support/grpc-clients.ts";
import {
  dockerModeConfig,
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../support/grpc-executor-config.ts";
import {
  type ExecutorProcess,
  type SamplePerformerProcess,
  startExecutorProcess,
  startSamplePerformer,
} from "../support/grpc-processes.ts";
import { runs, sh } from "../support/guide-shell.ts";
import { runningReadyStatus, standInNode, writePodStatus } from "../support/kubelet.ts";
import { pprofTop } from "../support/pprof.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

const root = join(import.meta.dirname, "..", "..");
const cluster = testCluster();
const kc = cluster.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const NS = "my-avs-project";
const NODE = "guide-node";

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, { input });
  assert.equal(result.code, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The executor container of the sample Deployment after a guide patch. */
async function executorContainer(): Promise<Record<string, unknown>> {
  const d = JSON.parse(await ok(["get", "deployment/my-avs-executor", "-n", NS, "-o", "json"]));
  return d.spec.template.spec.containers.find((c: { name: string }) => c.name === "executor");
}

const envOf = async (name: string) =>
  ((await executorContainer()).env as { name: string; value: string }[]).find((e) => e.name === name)?.value;

/** A Pod of a Deployment, as its ReplicaSet would create it, bound to NODE and Running/Ready as a kubelet says. */
async function deploymentPod(namespace: string, deployment: string): Promise<void> {
  const d = JSON.parse(await ok(["get", `deployment/${deployment}`, "-n", namespace, "-o", "json"]));
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${deployment}-guide`, namespace, labels: d.spec.template.metadata.labels },
    spec: { ...d.spec.template.spec, nodeName: NODE },
  };
  await kubectl(["delete", "pod", pod.metadata.name, "-n", namespace, "--ignore-not-found", "--wait=false"]);
  const created = JSON.parse(await ok(["create", "-o", "json", "-f", "-"], JSON.stringify(pod))) as V1Pod;
  await writePodStatus(kc, namespace, pod.metadata.name, runningReadyStatus(created));
}

let operator: OperatorProcess;
let chain: TestChain;
let performer: SamplePerformerProcess;
let executor: ExecutorProcess;
let configFile: string;
let grpcurl: string | undefined;
let deleteNode: (() => Promise<void>) | undefined;

before(async () => {
  deleteNode = await standInNode(kc, NODE);
  for (const dir of ["rbac", "manager", "executor", "samples"])
    await ok(["apply", "-k", join(root, "config", dir)]);
  operator = await startOperator({
    kubeconfigPath: cluster.kubeconfigPath,
    webhookPort: 0,
    webhookCertDir: "",
    controller: true,
    logFile: join(cluster.stateDir, "logs", "operator-guide.log"),
    extraArgs: ["--leader-elect"],
  });
  await deploymentPod("hourglass-system", "hourglass-operator");
  await deploymentPod(NS, "my-avs-executor");
  const pod = await eventually("pod/performer-my-avs", async () => {
    try {
      return await core.readNamespacedPod({ namespace: NS, name: "performer-my-avs" });
    } catch {
      return undefined;
    }
  });
  await core.createNamespacedPodBinding({
    name: "performer-my-avs",
    namespace: NS,
    body: { metadata: { name: "performer-my-avs" }, target: { kind: "Node", name: NODE } },
  });
  await writePodStatus(kc, NS, "performer-my-avs", runningReadyStatus(pod));
  // The executor the guide port-forwards to, as a process on this machine with the guide's env.
  const dir = await testDir("guide-executor");
  chain = await startTestChain();
  performer = await startSamplePerformer();
  configFile = await writeExecutorConfig(
    dir,
    dockerModeConfig(chain.l1Chain, await testOperator(dir), [
      { address: testAvsAddress(), name: "my-avs", endpoint: performer.address },
    ]),
  );
  executor = await startExecutorProcess(configFile, {
    env: { ENABLE_PROFILING: "true", LOG_LEVEL: "debug", NETWORK_TIMEOUT: "60s" },
  });
  // Sample config, as a user would have it on disk.
  const cm = JSON.parse(await ok(["get", "configmap", "my-avs-executor-config", "-n", NS, "-o", "json"]));
  await writeFile(join(dir, "sample-config.yaml"), cm.data["config.yaml"]);
  const gopath = (await promisify(execFile)("go", ["env", "GOPATH"])).stdout.trim();
  grpcurl = [join(gopath, "bin", "grpcurl")].find((p) => existsSync(p));
});

after(async () => {
  await deleteNode?.();
  await executor?.stop();
  await performer?.stop();
  await chain?.stop();
  await operator?.stop();
  // The Pods this file stood in for a kubelet (their status written here, on a node that is gone) go too, once no
  // controller recreates them: they carry the Deployments' and the Performer's labels, so the next test on this
  // cluster would find them Ready, and `kubectl logs deployment/…` or `kubectl exec` would pick one.
  for (const [namespace, pod] of [
    ["hourglass-system", "hourglass-operator-guide"],
    [NS, "my-avs-executor-guide"],
    [NS, "performer-my-avs"],
  ] as const) {
    await kubectl([
      "delete",
      "pod",
      pod,
      "-n",
      namespace,
      "--ignore-not-found",
      "--grace-period=0",
      "--force",
    ]);
  }
  await kubectl(["apply", "-k", join(root, "config", "rbac")]);
  await kubectl(["apply", "-f", join(root, "config", "executor", "rbac.yaml")]);
});

/** A command runs here (`check`), runs on the real node (`realNode`: guide-node.test.ts has a test named by it),
 * or cannot run on this machine (`notApplicable`, saying why). */
type Entry =
  | { command: string; check: () => Promise<void> }
  | { command: string; realNode: true }
  | { command: string; notApplicable: string };
const NO_DOCKER = "docker mode on a Docker engine; the development machines have none";
const NO_METRICS_SERVER = "needs metrics-server (metrics.k8s.io), which the local control plane does not run";

const sampleConfig = () => join(configFile, "..", "sample-config.yaml");

/** The guide's commands, in its order. */
const GUIDE: Record<string, Entry[]> = {
  "Common Diagnostic Commands": [
    { command: "kubectl logs -n my-avs-project deployment/my-avs-executor", realNode: true },
    { command: "kubectl logs -n hourglass-system deployment/hourglass-operator", realNode: true },
    {
      command: "kubectl get performers -n my-avs-project -o yaml",
      check: async () => {
        const out = await runs("kubectl get performers -n my-avs-project -o yaml");
        assert.match(out, /name: my-avs\n/);
        assert.match(out, /endpoint: performer-my-avs\.my-avs-project\.svc\.cluster\.local:9090/);
      },
    },
    {
      command: "kubectl get events -n my-avs-project --sort-by=.lastTimestamp",
      check: async () => {
        const out = await runs("kubectl get events -n my-avs-project --sort-by=.lastTimestamp");
        assert.match(out, /CreatedPod\s+performer\/my-avs\s+Created Pod performer-my-avs/);
      },
    },
  ],
  "Configuration Validation": [
    {
      command: "hourglass-executor validate --config config.yaml",
      check: async () => {
        const out = await runs(
          `node_modules/.bin/node src/cli/executor.ts validate --config ${sampleConfig()}`,
        );
        assert.match(out, /sample-config\.yaml: valid \(snake_case, kubernetes mode, 1 AVS/);
      },
    },
    {
      command: 'grep -n "deployment_mode" config.yaml',
      check: async () => {
        const out = await runs(`grep -n "deployment_mode" ${sampleConfig()}`);
        assert.match(out, /^\d+:deployment_mode: kubernetes$/m);
      },
    },
  ],
  "Docker Mode Issues": [
    "docker logs hourglass-executor",
    "ls -la /path/to/config.yaml",
    "docker exec -it hourglass-executor whoami",
    "chmod 644 config.yaml",
    "chown 1000:1000 config.yaml",
    "docker run -v $(pwd)/config.yaml:/etc/hourglass/config.yaml hourglass/executor",
    "docker run --user 1000:1000 hourglass/executor",
    "docker exec -it hourglass-executor ping performer-container",
    "docker ps -a | grep performer",
    "netstat -tlnp | grep 9090",
  ]
    .map((command): Entry => ({ command, notApplicable: NO_DOCKER }))
    .concat([
      {
        command: "grpcurl -plaintext localhost:9090 list",
        check: async () => {
          if (!grpcurl) {
            assert.fail(
              "grpcurl is not installed: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3",
            );
          }
          const out = await runs(`${grpcurl} -plaintext ${performer.address} list`);
          assert.match(out, /^eigenlayer\.hourglass\.v1\.performer\.PerformerService$/m);
          assert.match(out, /^grpc\.health\.v1\.Health$/m);
        },
      },
      ...[
        "docker network create hourglass-network",
        "docker run --network hourglass-network hourglass/executor",
        "docker run -p 9090:9090 my-org/my-avs-performer",
        "docker stats",
        "docker system df",
        "docker inspect hourglass-executor | grep -i memory",
        "docker run --memory=4g --memory-swap=8g hourglass/executor",
        'docker run --cpus="2.0" hourglass/executor',
      ].map((command): Entry => ({ command, notApplicable: NO_DOCKER })),
    ]),
  "Operator Not Creating Performers": [
    {
      command:
        "kubectl auth can-i create pods --as=system:serviceaccount:hourglass-system:hourglass-operator -n my-avs-project",
      check: async () => {
        const out = await runs(
          "kubectl auth can-i create pods --as=system:serviceaccount:hourglass-system:hourglass-operator -n my-avs-project",
        );
        assert.equal(out.trim(), "yes");
      },
    },
    {
      command: "kubectl apply -f - <<EOF (the guide's ClusterRole hourglass-operator) EOF",
      check: async () => {
        const guide = join(root, "test", "fixtures", "guide", "cluster-role.yaml");
        const out = await runs(`kubectl apply -f - <<EOF\n${await readFile(guide, "utf8")}EOF`);
        assert.match(out, /clusterrole.rbac.authorization.k8s.io\/hourglass-operator (configured|unchanged)/);
        // It breaks the operator (see the doctor test, which checks the operator says so); ours goes back.
        await runs("kubectl apply -k config/rbac");
      },
    },
    {
      command: "kubectl rollout restart deployment/hourglass-operator -n hourglass-system",
      check: async () => {
        const out = await runs("kubectl rollout restart deployment/hourglass-operator -n hourglass-system");
        assert.match(out, /deployment.apps\/hourglass-operator restarted/);
      },
    },
    {
      command: "kubectl describe resourcequota -n my-avs-project",
      check: async () => {
        await runs("kubectl describe resourcequota -n my-avs-project");
      },
    },
  ],
  "Performer Pods in Pending State": [
    {
      command: "kubectl describe pod performer-pod-name -n my-avs-project",
      check: async () => {
        const out = await runs("kubectl describe pod performer-my-avs -n my-avs-project");
        assert.match(out, /Controlled By:\s+Performer\/my-avs/);
      },
    },
    { command: "kubectl top nodes", notApplicable: NO_METRICS_SERVER },
    {
      command: "kubectl describe nodes",
      check: async () => {
        assert.match(await runs("kubectl describe nodes"), new RegExp(`Name:\\s+${NODE}`));
      },
    },
    {
      command: "kubectl get pods -n my-avs-project -o yaml | grep -A 5 resources",
      check: async () => {
        const out = await runs("kubectl get pods -n my-avs-project -o yaml | grep -A 5 resources");
        assert.match(out, /cpu: 500m/);
      },
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","resources":{"requests":{"cpu":"250m","memory":"512Mi"}}}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","resources":{"requests":{"cpu":"250m","memory":"512Mi"}}}]}}}}'`,
        );
        assert.deepEqual((await executorContainer()).resources, {
          requests: { cpu: "250m", memory: "512Mi" },
          limits: { cpu: "1", memory: "512Mi" },
        });
      },
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"nodeSelector":null}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"nodeSelector":null}}}}'`,
        );
      },
    },
    {
      command: "kubectl taint nodes node1 special-workload=true:NoSchedule",
      notApplicable:
        "names a node node1; this cluster's one Node object is kept untainted for the other commands",
    },
  ],
  "Service Discovery Problems": [
    {
      command:
        "kubectl run test-dns --image=busybox:1.35 --rm -i --restart=Never -- nslookup performer-my-performer.my-avs-project.svc.cluster.local",
      realNode: true,
    },
    {
      command: "kubectl get endpoints -n my-avs-project",
      check: async () => {
        const out = await eventually("the performer's endpoint", async () => {
          const r = await sh("kubectl get endpoints -n my-avs-project");
          return /performer-my-avs\s+198\.18\.0\.23:9090/.test(r.out) ? r.out : undefined;
        });
        assert.match(out, /performer-my-avs/);
      },
    },
    {
      command: "kubectl get services -n my-avs-project",
      check: async () => {
        const out = await runs("kubectl get services -n my-avs-project");
        assert.match(out, /^performer-my-avs\s+ClusterIP/m);
        assert.match(out, /^my-avs-executor\s+ClusterIP/m);
      },
    },
    {
      command: "kubectl logs -n kube-system deployment/coredns",
      realNode: true,
    },
    {
      command: `kubectl patch service incorrect-service-name -n my-avs-project -p '{"metadata":{"name":"performer-my-performer"}}'`,
      notApplicable:
        "an example with placeholder names; Kubernetes refuses to rename an object by patch, and the operator names each Service performer-<name> itself",
    },
    {
      command: `kubectl patch service performer-my-performer -n my-avs-project -p '{"spec":{"selector":{"app":"my-performer"}}}'`,
      check: async () => {
        const out = await runs(
          `kubectl patch service performer-my-avs -n my-avs-project -p '{"spec":{"selector":{"app":"my-performer"}}}'`,
        );
        assert.match(out, /service\/performer-my-avs patched/);
        // The selector is the operator's: it puts back the one that matches the Performer's Pod.
        await eventually("the operator restoring the selector", async () => {
          const s = JSON.parse(await ok(["get", "service/performer-my-avs", "-n", NS, "-o", "json"]));
          return s.spec.selector.app === undefined &&
            s.spec.selector["hourglass.eigenlayer.io/performer"] === "my-avs"
            ? true
            : undefined;
        });
      },
    },
    {
      command: "kubectl rollout restart deployment/coredns -n kube-system",
      realNode: true,
    },
  ],
  "Performer Health Check Failures": [
    {
      command: "kubectl get pods -n my-avs-project -o wide",
      check: async () => {
        const out = await runs("kubectl get pods -n my-avs-project -o wide");
        assert.match(out, new RegExp(`^performer-my-avs\\s+1/1\\s+Running.*${NODE}`, "m"));
      },
    },
    {
      command:
        "kubectl exec -it performer-pod-name -n my-avs-project -- wget -qO- http://localhost:8090/health",
      realNode: true,
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","readinessProbe":{"initialDelaySeconds":30,"periodSeconds":10}}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","readinessProbe":{"initialDelaySeconds":30,"periodSeconds":10}}]}}}}'`,
        );
        const probe = (await executorContainer()).readinessProbe as Record<string, unknown>;
        assert.equal(probe.initialDelaySeconds, 30);
        assert.equal(probe.periodSeconds, 10);
      },
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","readinessProbe":{"httpGet":{"path":"/health","port":8090}}}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","readinessProbe":{"httpGet":{"path":"/health","port":8090}}}]}}}}'`,
        );
        const probe = (await executorContainer()).readinessProbe as { httpGet: Record<string, unknown> };
        assert.deepEqual([probe.httpGet.path, probe.httpGet.port], ["/health", 8090]);
        // The port the probe now names is the one the executor serves /health on.
        assert.equal((await fetch(`http://127.0.0.1:${executor.ports.health}/health`)).status, 200);
      },
    },
  ],
  "Cross-Namespace Permission Errors": [
    {
      command:
        "kubectl auth can-i create performers --as=system:serviceaccount:my-avs-project:executor-service-account -n my-avs-project",
      check: async () => {
        const out = await runs(
          "kubectl auth can-i create performers --as=system:serviceaccount:my-avs-project:executor-service-account -n my-avs-project",
        );
        assert.equal(out.trim(), "yes");
      },
    },
    {
      command: "kubectl apply -f - <<EOF (Role executor-role, RoleBinding executor-binding) EOF",
      check: async () => {
        const out = await runs(`kubectl apply -f - <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  namespace: my-avs-project
  name: executor-role
rules:
- apiGroups: ["hourglass.eigenlayer.io"]
  resources: ["performers"]
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: executor-binding
  namespace: my-avs-project
subjects:
- kind: ServiceAccount
  name: executor-service-account
  namespace: my-avs-project
roleRef:
  kind: Role
  name: executor-role
  apiGroup: rbac.authorization.k8s.io
EOF`);
        // The names are ours: the guide's objects update ours rather than adding a second grant.
        assert.match(out, /role.rbac.authorization.k8s.io\/executor-role configured/);
        assert.match(out, /rolebinding.rbac.authorization.k8s.io\/executor-binding (unchanged|configured)/);
      },
    },
    {
      command: "kubectl apply -f - <<EOF (ClusterRoleBinding hourglass-operator-binding) EOF",
      check: async () => {
        const out = await runs(`kubectl apply -f - <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: hourglass-operator-binding
subjects:
- kind: ServiceAccount
  name: hourglass-operator
  namespace: hourglass-system
roleRef:
  kind: ClusterRole
  name: hourglass-operator
  apiGroup: rbac.authorization.k8s.io
EOF`);
        assert.match(
          out,
          /clusterrolebinding.rbac.authorization.k8s.io\/hourglass-operator-binding (unchanged|configured)/,
        );
      },
    },
  ],
  "Missing Kubernetes Configuration": [
    {
      command: 'grep -A 10 "kubernetes:" config.yaml',
      check: async () => {
        assert.match(await runs(`grep -A 10 "kubernetes:" ${sampleConfig()}`), /namespace: my-avs-project/);
      },
    },
    {
      command: "kubectl cluster-info",
      check: async () => {
        assert.match(
          await runs("kubectl cluster-info"),
          /Kubernetes control plane is running at https:\/\/127\.0\.0\.1:/,
        );
      },
    },
  ],
  "High Resource Usage": [
    { command: "kubectl top pods -n my-avs-project", notApplicable: NO_METRICS_SERVER },
    {
      command: "kubectl get --raw /metrics | grep hourglass",
      notApplicable:
        "reads the apiserver's own metrics, which have no hourglass_* series; ours are the operator's and executor's /metrics, checked below",
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","resources":{"limits":{"cpu":"4","memory":"8Gi"}}}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","resources":{"limits":{"cpu":"4","memory":"8Gi"}}}]}}}}'`,
        );
        const resources = (await executorContainer()).resources as { limits: Record<string, string> };
        assert.deepEqual(resources.limits, { cpu: "4", memory: "8Gi" });
      },
    },
    {
      command: "kubectl apply -f - <<EOF (HorizontalPodAutoscaler my-avs-executor-hpa) EOF",
      check: async () => {
        const out = await runs(`kubectl apply -f - <<EOF
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: my-avs-executor-hpa
  namespace: my-avs-project
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: my-avs-executor
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 70
EOF`);
        assert.match(out, /horizontalpodautoscaler.autoscaling\/my-avs-executor-hpa created/);
      },
    },
  ],
  "Slow Task Processing": [
    {
      command: "kubectl exec -it my-avs-executor -- curl http://localhost:8080/metrics | grep task",
      check: async () => {
        // Against the executor process, which is what the exec reaches in a Pod.
        const out = await runs(`curl -s http://127.0.0.1:${executor.ports.metrics}/metrics | grep task`);
        assert.match(out, /^# HELP hourglass_executor_tasks_total /m);
      },
    },
    {
      command: "kubectl exec -it my-avs-executor -- ping aggregator.example.com",
      notApplicable:
        "no packet may leave this machine (aggregator.example.com is outside it); the executor's image has no ping",
    },
    {
      command: "kubectl scale deployment my-avs-executor -n my-avs-project --replicas=5",
      check: async () => {
        assert.match(
          await runs("kubectl scale deployment my-avs-executor -n my-avs-project --replicas=5"),
          /deployment.apps\/my-avs-executor scaled/,
        );
        await runs("kubectl scale deployment my-avs-executor -n my-avs-project --replicas=1");
      },
    },
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"NETWORK_TIMEOUT","value":"60s"}]}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"NETWORK_TIMEOUT","value":"60s"}]}]}}}}'`,
        );
        assert.equal(await envOf("NETWORK_TIMEOUT"), "60s");
      },
    },
  ],
  "Debug Mode Setup": [
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"LOG_LEVEL","value":"debug"}]}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"LOG_LEVEL","value":"debug"}]}]}}}}'`,
        );
        assert.equal(await envOf("LOG_LEVEL"), "debug");
      },
    },
    {
      command: "kubectl port-forward deployment/my-avs-executor 8080:8080 -n my-avs-project",
      realNode: true,
    },
    {
      command: "curl http://localhost:8080/metrics",
      check: async () => {
        const out = await runs(`curl -s http://localhost:${executor.ports.metrics}/metrics`);
        assert.match(out, /^# TYPE hourglass_executor_performers_ready gauge$/m);
      },
    },
  ],
  "Comprehensive Health Check": [
    {
      command: "kubectl get pods -n hourglass-system -l app=hourglass-operator",
      check: async () => {
        assert.match(
          await runs("kubectl get pods -n hourglass-system -l app=hourglass-operator"),
          /^hourglass-operator-guide\s/m,
        );
      },
    },
    {
      command: "kubectl get pods -n my-avs-project -l app=hourglass-executor",
      check: async () => {
        assert.match(
          await runs("kubectl get pods -n my-avs-project -l app=hourglass-executor"),
          /^my-avs-executor-guide\s/m,
        );
      },
    },
    {
      command: "kubectl get performers -n my-avs-project",
      check: async () => {
        const out = await runs("kubectl get performers -n my-avs-project");
        assert.match(out, /^NAME\s+AVS\s+PHASE\s+READY\s+ENDPOINT\s+AGE$/m);
        assert.match(
          out,
          /^my-avs\s+0x1234567890abcdef1234567890abcdef12345678\s+Running\s+True\s+performer-my-avs/m,
        );
      },
    },
    {
      command: "kubectl get services -n my-avs-project",
      check: async () => {
        assert.match(await runs("kubectl get services -n my-avs-project"), /^performer-my-avs\s/m);
      },
    },
    {
      command: "kubectl get events -n my-avs-project --sort-by=.lastTimestamp | tail -10",
      check: async () => {
        assert.match(
          await runs("kubectl get events -n my-avs-project --sort-by=.lastTimestamp | tail -10"),
          /performer\/my-avs/,
        );
      },
    },
    { command: "kubectl top pods -n my-avs-project", notApplicable: NO_METRICS_SERVER },
  ],
  "Log Analysis": [
    "kubectl logs -n my-avs-project deployment/my-avs-executor | grep -i error",
    "kubectl logs -n my-avs-project deployment/my-avs-executor -f",
    "kubectl logs -n my-avs-project deployment/my-avs-executor --all-containers=true",
    "kubectl logs -n my-avs-project deployment/my-avs-executor --since=1h > executor-logs.txt",
  ].map((command): Entry => ({ command, realNode: true })),
  "Performance Profiling": [
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"ENABLE_PROFILING","value":"true"}]}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"ENABLE_PROFILING","value":"true"}]}]}}}}'`,
        );
        assert.equal(await envOf("ENABLE_PROFILING"), "true");
      },
    },
    {
      command: "kubectl port-forward deployment/my-avs-executor 6060:6060 -n my-avs-project",
      realNode: true,
    },
    {
      command: "go tool pprof http://localhost:6060/debug/pprof/profile",
      check: async () => {
        // -top instead of the interactive prompt, and 2 s instead of Go's default 30.
        const base = `http://localhost:${executor.ports.profiling}/debug/pprof`;
        assert.match(await pprofTop(`${base}/profile?seconds=2`), /^Type: wall$/m);
        assert.match(await pprofTop(`${base}/heap`), /^Type: inuse_space$/m);
      },
    },
  ],
  "Information to Gather": [
    {
      command: "kubectl version",
      check: async () => {
        assert.match(await runs("kubectl version"), /Server Version: v1\.\d+/);
      },
    },
    {
      command: "kubectl cluster-info",
      check: async () => {
        await runs("kubectl cluster-info");
      },
    },
    {
      command: "kubectl get nodes",
      check: async () => {
        assert.match(await runs("kubectl get nodes"), new RegExp(`^${NODE}\\s`, "m"));
      },
    },
    {
      command: "cat config.yaml | sed 's/password: .*/password: ***/'",
      check: async () => {
        assert.match(
          await runs(`cat ${sampleConfig()} | sed 's/password: .*/password: ***/'`),
          /deployment_mode: kubernetes/,
        );
      },
    },
    { command: "kubectl logs -n hourglass-system deployment/hourglass-operator", realNode: true },
    { command: "kubectl logs -n my-avs-project deployment/my-avs-executor", realNode: true },
    {
      command: "kubectl get all -n my-avs-project",
      check: async () => {
        const out = await runs("kubectl get all -n my-avs-project");
        assert.match(out, /deployment.apps\/my-avs-executor/);
        assert.match(out, /service\/performer-my-avs/);
      },
    },
    {
      command: "kubectl get performers -n my-avs-project -o yaml",
      check: async () => {
        assert.match(await runs("kubectl get performers -n my-avs-project -o yaml"), /kind: Performer/);
      },
    },
  ],
  "Advanced Debugging": [
    {
      command: `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"LOG_LEVEL","value":"trace"}]}]}}}}'`,
      check: async () => {
        await runs(
          `kubectl patch deployment my-avs-executor -n my-avs-project -p '{"spec":{"template":{"spec":{"containers":[{"name":"executor","env":[{"name":"LOG_LEVEL","value":"trace"}]}]}}}}'`,
        );
        assert.equal(await envOf("LOG_LEVEL"), "trace");
      },
    },
    {
      command: "kubectl cluster-info dump --output-directory=./hourglass-diagnostics",
      realNode: true,
    },
  ],
  "gRPC health (DESIGN: grpcurl … grpc.health.v1.Health/Check)": [
    {
      command: "grpcurl -plaintext localhost:9000 grpc.health.v1.Health/Check",
      check: async () => {
        if (!grpcurl) {
          assert.equal(await grpcHealthStatus(executor.grpcAddress), "SERVING");
          assert.fail(
            "grpcurl is not installed: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3",
          );
        }
        const out = await runs(`${grpcurl} -plaintext ${executor.grpcAddress} grpc.health.v1.Health/Check`);
        assert.match(out, /"status": "SERVING"/);
      },
    },
  ],
};

for (const [section, entries] of Object.entries(GUIDE)) {
  describe(section, () => {
    for (const entry of entries) {
      if ("check" in entry) test(entry.command, entry.check);
    }
  });
}

test("each command marked for the real node has its test in guide-node.test.ts, named by the command", async () => {
  const onNode = (await readFile(join(import.meta.dirname, "guide-node.test.ts"), "utf8")).replace(
    /\(\s+"/g,
    '("',
  );
  const marked = Object.values(GUIDE)
    .flat()
    .filter((e) => "realNode" in e)
    .map((e) => e.command);
  assert.ok(marked.length >= 10, `${marked.length} commands marked`);
  const missing = marked.filter((command) => !onNode.includes(`it(${JSON.stringify(command)},`));
  assert.deepEqual(missing, []);
});
