// What `make deploy` installs, checked by the real apiserver: every object passes server-side validation (with
// cert-manager's CRDs installed, as in a cluster that has cert-manager), and the RBAC we ship grants each process
// what it uses and nothing it does not.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { startOperator } from "../controlplane/operator-process.ts";
import { installCertManagerCrds } from "../support/cert-manager-crds.ts";
import { kubectl, serviceAccountKubeconfig, testCluster, useNamespace } from "../support/cluster.ts";

const root = join(import.meta.dirname, "..", "..");
const OPERATOR = "system:serviceaccount:hourglass-system:hourglass-operator";
const EXECUTOR = "system:serviceaccount:my-avs-project:executor-service-account";

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, { input });
  assert.equal(result.code, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

async function canI(as: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  const ns = namespace ? ["-n", namespace] : ["--all-namespaces"];
  const [name, subresource] = resource.split("/");
  const sub = subresource ? [`--subresource=${subresource}`] : [];
  const result = await kubectl(["auth", "can-i", verb, name!, ...sub, `--as=${as}`, ...ns]);
  return result.stdout.trim() === "yes";
}

before(async () => {
  await installCertManagerCrds();
  // The example AVS's namespace must exist for a server-side dry run of the objects in it.
  await ok(["apply", "-f", join(root, "config", "samples", "namespace.yaml")]);
});

describe("kustomize builds that pass the apiserver's validation", () => {
  for (const dir of ["default", "executor", "samples"]) {
    test(`config/${dir}`, async () => {
      const built = await ok(["kustomize", join(root, "config", dir)]);
      const applied = await ok(["apply", "--dry-run=server", "-f", "-"], built);
      assert.match(applied, /\(server dry run\)/);
    });
  }

  test("config/prometheus builds (applying it needs the Prometheus Operator's CRDs)", async () => {
    const built = await ok(["kustomize", join(root, "config", "prometheus")]);
    assert.match(built, /kind: ServiceMonitor/);
  });
});

describe("RBAC", () => {
  before(async () => {
    await ok(["apply", "-k", join(root, "config", "rbac")]);
    // Only the executor's RBAC objects: its Deployment and config are not needed to ask the authorizer.
    const built = await ok(["kustomize", join(root, "config", "executor")]);
    const rbacKinds = new Set(["ServiceAccount", "Role", "RoleBinding"]);
    const items = parseAllDocuments(built)
      .map((doc) => doc.toJS() as { kind: string })
      .filter((o) => rbacKinds.has(o.kind));
    await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  });

  test("the operator can do each thing it does", async () => {
    const needed: [string, string, string?][] = [
      ["get", "performers.hourglass.eigenlayer.io"],
      ["list", "performers.hourglass.eigenlayer.io"],
      ["watch", "performers.hourglass.eigenlayer.io"],
      ["patch", "performers.hourglass.eigenlayer.io/status"],
      ["update", "performers.hourglass.eigenlayer.io/finalizers"],
      ["create", "pods"],
      ["delete", "pods"],
      ["watch", "pods"],
      ["create", "services"],
      ["patch", "services"],
      ["delete", "services"],
      ["list", "configmaps"],
      ["watch", "configmaps"],
      ["create", "events"],
      ["create", "subjectaccessreviews.authorization.k8s.io"],
      ["get", "leases.coordination.k8s.io", "hourglass-system"],
      ["create", "leases.coordination.k8s.io", "hourglass-system"],
      ["update", "leases.coordination.k8s.io", "hourglass-system"],
    ];
    for (const [verb, resource, namespace] of needed) {
      assert.ok(await canI(OPERATOR, verb, resource, namespace), `the operator cannot ${verb} ${resource}`);
    }
  });

  test("the operator is granted nothing it does not use", async () => {
    const unused: [string, string, string?][] = [
      ["update", "pods"],
      ["patch", "pods"],
      ["update", "performers.hourglass.eigenlayer.io/status"],
      ["get", "configmaps"],
      ["delete", "leases.coordination.k8s.io", "hourglass-system"],
      ["impersonate", "serviceaccounts"],
      ["create", "localsubjectaccessreviews.authorization.k8s.io", "default"],
    ];
    for (const [verb, resource, namespace] of unused) {
      assert.equal(
        await canI(OPERATOR, verb, resource, namespace),
        false,
        `the operator may ${verb} ${resource}`,
      );
    }
  });

  test("the operator cannot read Secrets or change Performers' specs", async () => {
    assert.equal(await canI(OPERATOR, "get", "secrets"), false);
    assert.equal(await canI(OPERATOR, "list", "secrets"), false);
    assert.equal(await canI(OPERATOR, "update", "performers.hourglass.eigenlayer.io"), false);
    assert.equal(await canI(OPERATOR, "create", "leases.coordination.k8s.io", "default"), false);
  });

  test("the executor manages Performers in its own namespace and nowhere else", async () => {
    for (const verb of ["create", "list", "watch", "delete"]) {
      assert.ok(await canI(EXECUTOR, verb, "performers.hourglass.eigenlayer.io", "my-avs-project"), verb);
    }
    assert.equal(await canI(EXECUTOR, "create", "performers.hourglass.eigenlayer.io", "default"), false);
    assert.equal(await canI(EXECUTOR, "create", "performers.hourglass.eigenlayer.io"), false);
    assert.equal(await canI(EXECUTOR, "get", "secrets", "my-avs-project"), false);
    assert.equal(await canI(EXECUTOR, "create", "pods", "my-avs-project"), false);
    assert.equal(
      await canI(EXECUTOR, "patch", "performers.hourglass.eigenlayer.io/status", "my-avs-project"),
      false,
    );
  });
});

test("the operator reconciles with only the RBAC we ship: no Forbidden", async (t) => {
  await ok(["apply", "-k", join(root, "config", "rbac")]);
  const logFile = join(testCluster().stateDir, "logs", "operator-serviceaccount.log");
  const operator = await startOperator({
    kubeconfigPath: await serviceAccountKubeconfig("hourglass-system", "hourglass-operator"),
    webhookPort: 0,
    webhookCertDir: "",
    controller: true,
    logFile,
    extraArgs: ["--leader-elect"],
  });
  t.after(() => operator.stop());
  const ns = await useNamespace(t, "rbac");
  const performer = {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name: "rbac", namespace: ns },
    spec: {
      avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
      image: "registry.example/p",
      version: "v1",
    },
  };
  await ok(["apply", "-f", "-"], JSON.stringify(performer));
  let status = "";
  for (let i = 0; i < 120 && !status.includes("performer-rbac"); i++) {
    await sleep(250);
    status = (await kubectl(["get", "performer", "rbac", "-n", ns, "-o", "jsonpath={.status.podName}"]))
      .stdout;
  }
  assert.equal(status, "performer-rbac", `no status written within 30 s; see ${logFile}`);
  await ok(["get", "pod/performer-rbac", "service/performer-rbac", "-n", ns]);
  const lease = await ok([
    "get",
    "lease",
    "hourglass-operator",
    "-n",
    "hourglass-system",
    "-o",
    "jsonpath={.spec.holderIdentity}",
  ]);
  assert.notEqual(lease, "", "the operator did not take the leader-election Lease");
  const log = readFileSync(logFile, "utf8");
  assert.doesNotMatch(log, /forbidden|"code":403/i, `the operator was refused something; see ${logFile}`);
});
