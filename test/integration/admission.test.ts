// Admission as the real kube-apiserver performs it: kubectl applies objects, the apiserver calls the operator's
// webhooks (started by the global setup), and what kubectl reports and what gets stored is what a user would see.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { parse } from "yaml";
import { kubectl, testCluster, useNamespace } from "../support/cluster.ts";
import { executorConfigYaml, supportedAvs } from "../support/executor-configs.ts";

const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const OTHER_AVS = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";

function performer(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name },
    spec: { avsAddress: AVS, image: "registry.example/avs/performer", version: "v1.2.3", ...spec },
  });
}

function executorConfigMap(name: string, configYaml: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { "hourglass.eigenlayer.io/executor-config": "true" } },
    data: { "config.yaml": configYaml },
  });
}

interface Stored {
  metadata: { labels: Record<string, string> };
  spec: {
    config: { grpcPort: number };
    deploymentMode: string;
    healthCheck: Record<string, unknown>;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
  };
}

async function apply(namespace: string, manifest: string, ...flags: string[]) {
  return kubectl(["apply", "-n", namespace, "-f", "-", ...flags], { input: manifest });
}

async function getJson(namespace: string, resource: string): Promise<Stored> {
  const got = await kubectl(["get", "-n", namespace, resource, "-o", "json"]);
  assert.equal(got.code, 0, got.stderr);
  return JSON.parse(got.stdout);
}

/** One supported_avs entry, for AVS, as an executor config's YAML. */
const AVS_ONE = `    - address: "${AVS}"
      name: one
      performer_image: registry.example/one
`;
const kubernetesConfig = (avsLines: string) => executorConfigYaml("kubernetes", supportedAvs(avsLines));

test("a minimal Performer is stored with every default filled in", async (t) => {
  const ns = await useNamespace(t, "admit");
  const applied = await apply(ns, performer("minimal", {}));
  assert.equal(applied.code, 0, applied.stderr);
  const stored = await getJson(ns, "performer/minimal");
  assert.deepEqual(stored.spec.resources, {
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "2", memory: "4Gi" },
  });
  assert.equal(stored.spec.config.grpcPort, 9090);
  assert.equal(stored.spec.deploymentMode, "kubernetes");
  assert.equal(stored.spec.healthCheck.type, "http");
  assert.equal(stored.spec.healthCheck.path, "/health");
  assert.equal(stored.spec.healthCheck.port, 8090);
  assert.equal(stored.spec.healthCheck.initialDelaySeconds, 30);
  assert.equal(stored.spec.healthCheck.periodSeconds, 10);
  assert.equal(stored.metadata.labels["hourglass.eigenlayer.io/performer"], "minimal");
  assert.equal(stored.metadata.labels["hourglass.eigenlayer.io/avs"], AVS);
});

test("what the author set is kept, and only the rest is defaulted", async (t) => {
  const ns = await useNamespace(t, "admit");
  const applied = await apply(
    ns,
    performer("custom", {
      config: { grpcPort: 7000 },
      resources: { requests: { cpu: "250m" }, limits: { cpu: "1" } },
    }),
  );
  assert.equal(applied.code, 0, applied.stderr);
  const stored = await getJson(ns, "performer/custom");
  assert.equal(stored.spec.config.grpcPort, 7000);
  assert.equal(stored.spec.resources.requests.cpu, "250m");
  assert.equal(stored.spec.resources.limits.cpu, "1");
});

test("server-side dry run shows the defaults and stores nothing", async (t) => {
  const ns = await useNamespace(t, "admit");
  const dry = await apply(ns, performer("dry", {}), "--dry-run=server", "-o", "json");
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).spec.config.grpcPort, 9090);
  const listed = await kubectl(["get", "-n", ns, "performers", "-o", "name"]);
  assert.equal(listed.stdout.trim(), "");
});

test("bad quantities and requests above limits are refused with every problem and its field", async (t) => {
  const ns = await useNamespace(t, "admit");
  const rejected = await apply(
    ns,
    performer("bad", {
      resources: { requests: { cpu: "500mm", memory: "8Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    }),
  );
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /denied the request/);
  assert.match(rejected.stderr, /spec\.resources\.requests\.cpu: Invalid resource format "500mm"/);
  assert.match(rejected.stderr, /spec\.resources\.requests\.memory/);
  assert.match(rejected.stderr, /8Gi/);
  const listed = await kubectl(["get", "-n", ns, "performers", "-o", "name"]);
  assert.equal(listed.stdout.trim(), "", "a refused Performer must not be stored");
});

test("a Performer without avsAddress is refused, naming the field", async (t) => {
  const ns = await useNamespace(t, "admit");
  const manifest = JSON.parse(performer("noavs", {}));
  delete manifest.spec.avsAddress;
  const rejected = await apply(ns, JSON.stringify(manifest));
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /spec\.avsAddress/);
});

test("an executor config that mixes deployment modes is refused with the guide's message", async (t) => {
  const ns = await useNamespace(t, "admit");
  const config = kubernetesConfig(`${AVS_ONE}      deployment_mode: kubernetes
    - address: "${OTHER_AVS}"
      name: two
      performer_image: registry.example/two
      deployment_mode: docker
      endpoint: performer-two:9090
`);
  const rejected = await apply(ns, executorConfigMap("executor-config", config));
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /mixed deployment modes not supported/);
});

test("kubernetes mode without a kubernetes section is refused with the guide's message", async (t) => {
  const ns = await useNamespace(t, "admit");
  const config = kubernetesConfig(AVS_ONE).replace("kubernetes:\n  namespace: avs-one\n", "");
  assert.ok(!config.includes("\nkubernetes:"), config);
  const rejected = await apply(ns, executorConfigMap("executor-config", config));
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /kubernetes configuration is required/);
});

test("a Performer for an AVS that the namespace's executor runs in docker mode is refused", async (t) => {
  const ns = await useNamespace(t, "admit");
  const config = executorConfigYaml(
    "docker",
    supportedAvs(`${AVS_ONE}      endpoint: performer-one:9090
`),
  );
  const accepted = await apply(ns, executorConfigMap("executor-config", config));
  assert.equal(accepted.code, 0, accepted.stderr);
  const rejected = await apply(ns, performer("docker-avs", {}));
  assert.notEqual(rejected.code, 0);
  assert.match(rejected.stderr, /mixed deployment modes not supported/);
});

test("a Performer picks up the default_resources of its namespace's executor config", async (t) => {
  const ns = await useNamespace(t, "admit");
  const config = kubernetesConfig(`${AVS_ONE}      default_resources:
        requests: { cpu: 250m, memory: 512Mi }
        limits: { cpu: "1", memory: 2Gi }
`);
  const accepted = await apply(ns, executorConfigMap("executor-config", config));
  assert.equal(accepted.code, 0, accepted.stderr);
  const applied = await apply(ns, performer("from-config", {}));
  assert.equal(applied.code, 0, applied.stderr);
  const stored = await getJson(ns, "performer/from-config");
  assert.deepEqual(stored.spec.resources, {
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "1", memory: "2Gi" },
  });
});

test("a Performer admitted before its AVS moved to docker mode can still be relabelled and deleted", async (t) => {
  const ns = await useNamespace(t, "admit");
  const avs = `${AVS_ONE}      endpoint: performer-one:9090
`;
  assert.equal((await apply(ns, executorConfigMap("executor-config", kubernetesConfig(avs)))).code, 0);
  const created = await apply(ns, performer("moved", {}));
  assert.equal(created.code, 0, created.stderr);
  const docker = executorConfigYaml("docker", supportedAvs(avs));
  assert.equal((await apply(ns, executorConfigMap("executor-config", docker))).code, 0);
  const labelled = await kubectl(["label", "-n", ns, "performer/moved", "team=avs-one"]);
  assert.equal(labelled.code, 0, labelled.stderr);
  // A finalizer that some other controller holds, removed while the Performer is being deleted.
  const finalizers = (value: string[] | null) =>
    kubectl([
      "patch",
      "-n",
      ns,
      "performer/moved",
      "--type=merge",
      "-p",
      JSON.stringify({ metadata: { finalizers: value } }),
    ]);
  const held = await finalizers(["example.com/hold"]);
  assert.equal(held.code, 0, held.stderr);
  assert.equal((await kubectl(["delete", "-n", ns, "performer/moved", "--wait=false"])).code, 0);
  const released = await finalizers(null);
  assert.equal(released.code, 0, released.stderr);
  // A new Performer of the AVS is still checked against the config.
  const refused = await apply(ns, performer("moved-again", {}));
  assert.match(refused.stderr, /mixed deployment modes not supported/);
});

test("an executor-config ConfigMap can have its label taken off, whatever it holds", async (t) => {
  const ns = await useNamespace(t, "admit");
  const config = kubernetesConfig(AVS_ONE);
  assert.equal((await apply(ns, executorConfigMap("executor-config", config))).code, 0);
  const unlabelled = JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "executor-config", labels: {} },
    data: { "notes.txt": "no longer an executor config" },
  });
  const replaced = await kubectl(["replace", "-n", ns, "-f", "-"], { input: unlabelled });
  assert.equal(replaced.code, 0, replaced.stderr);
});

test("kubectl get performers shows the printer columns", async (t) => {
  const ns = await useNamespace(t, "admit");
  const applied = await apply(ns, performer("columns", {}));
  assert.equal(applied.code, 0, applied.stderr);
  const listed = await kubectl(["get", "-n", ns, "performers"]);
  assert.equal(listed.code, 0, listed.stderr);
  const header = listed.stdout.split("\n")[0]!.split(/\s+/).filter(Boolean);
  assert.deepEqual(header, ["NAME", "AVS", "PHASE", "READY", "ENDPOINT", "AGE"]);
  assert.match(listed.stdout, new RegExp(`columns\\s+${AVS}`));
});

/**
 * A kubeconfig that authenticates as the ServiceAccount `name` of `namespace` with a token from the TokenRequest
 * API, against the run's apiserver: the rights of exactly that account, as an executor in a Pod has them.
 */
async function serviceAccountKubeconfig(t: TestContext, namespace: string, name: string): Promise<string> {
  const token = await kubectl(["create", "token", name, "-n", namespace, "--duration=10m"]);
  assert.equal(token.code, 0, token.stderr);
  const admin = parse(readFileSync(testCluster().kubeconfigPath, "utf8")) as {
    clusters: { name: string; cluster: Record<string, string> }[];
  };
  const dir = mkdtempSync(join(tmpdir(), "sa-kubeconfig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "kubeconfig");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: admin.clusters,
      users: [{ name, user: { token: token.stdout.trim() } }],
      contexts: [{ name, context: { cluster: admin.clusters[0]!.name, user: name, namespace } }],
      "current-context": name,
    }),
    { mode: 0o600 },
  );
  return path;
}

test("whoever may only write Performers cannot run one as another ServiceAccount or with Secrets they cannot read", async (t) => {
  const ns = await useNamespace(t, "escalate");
  // The executor's own RBAC from config/executor, in this namespace.
  const rbac = readFileSync(join(import.meta.dirname, "..", "..", "config", "executor", "rbac.yaml"), "utf8");
  const created = await kubectl(["apply", "-f", "-"], { input: rbac.replaceAll("my-avs-project", ns) });
  assert.equal(created.code, 0, created.stderr);
  const asExecutor = `--kubeconfig=${await serviceAccountKubeconfig(t, ns, "executor-service-account")}`;
  // create, not apply: the executor may create Performers but not get them, as apply would first.
  const createAsExecutor = (manifest: string) =>
    kubectl([asExecutor, "create", "-n", ns, "-f", "-"], { input: manifest });

  const plain = await createAsExecutor(performer("plain", {}));
  assert.equal(plain.code, 0, `the executor may create a Performer that borrows nothing: ${plain.stderr}`);

  const borrowing = (name: string) =>
    performer(name, {
      serviceAccountName: "admin-sa",
      imagePullSecrets: [{ name: "registry-creds" }],
      config: {
        env: [{ name: "DB", valueFrom: { secretKeyRef: { name: "db-password", key: "password" } } }],
      },
    });
  const refused = await createAsExecutor(borrowing("borrowing"));
  assert.notEqual(refused.code, 0);
  const user = `system:serviceaccount:${ns}:executor-service-account`;
  assert.match(
    refused.stderr,
    new RegExp(`spec\\.serviceAccountName: user "${user}" may not create pods in namespace ${ns}`),
  );
  assert.match(
    refused.stderr,
    /spec\.config\.env\[0\]\.valueFrom\.secretKeyRef: user .* may not get secrets "db-password"/,
  );
  assert.match(refused.stderr, /spec\.imagePullSecrets\[0\]: user .* may not get secrets "registry-creds"/);
  const listed = await kubectl(["get", "-n", ns, "performer/borrowing"]);
  assert.notEqual(listed.code, 0, "a refused Performer is not stored");

  // The same Performer from whoever holds those rights themselves: the admin, and the executor once granted them.
  const asAdmin = await apply(ns, borrowing("by-admin"));
  assert.equal(asAdmin.code, 0, asAdmin.stderr);
  const grant = await kubectl(["create", "role", "borrow", "-n", ns, "--verb=create", "--resource=pods"]);
  const grantSecrets = await kubectl([
    "create",
    "role",
    "read-secrets",
    "-n",
    ns,
    "--verb=get",
    "--resource=secrets",
    "--resource-name=db-password",
    "--resource-name=registry-creds",
  ]);
  for (const role of ["borrow", "read-secrets"]) {
    const bound = await kubectl([
      "create",
      "rolebinding",
      role,
      "-n",
      ns,
      `--role=${role}`,
      `--serviceaccount=${ns}:executor-service-account`,
    ]);
    assert.equal(bound.code, 0, bound.stderr);
  }
  assert.equal(grant.code + grantSecrets.code, 0, grant.stderr + grantSecrets.stderr);
  const granted = await createAsExecutor(borrowing("granted"));
  assert.equal(
    granted.code,
    0,
    `a refusal is not remembered, so the grant counts at once: ${granted.stderr}`,
  );
});
