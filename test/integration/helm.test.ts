// The Helm chart (charts/hourglass) with the pinned Helm: lint-clean; with its default values it renders exactly
// what `kubectl kustomize config/default` builds (config/ is the chart's source: scripts/chart); its schema refuses
// values it does not know; and the README's "Install with Helm" commands install, upgrade and uninstall it on the
// run's control plane. The operator's image is not needed: no controller here creates its Pods.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { binaries } from "../controlplane/binaries.ts";
import { installCertManagerCrds } from "../support/cert-manager-crds.ts";
import { kubectl, testCluster, useNamespace } from "../support/cluster.ts";
import { eventually } from "../support/eventually.ts";

const root = join(import.meta.dirname, "..", "..");
const chart = join(root, "charts", "hourglass");
const cluster = testCluster();
const helmBin = binaries().helm;
const CRD = "customresourcedefinition/performers.hourglass.eigenlayer.io";
/** The labels and annotation the chart adds for Helm's sake, on top of config/'s objects. */
const HELM_LABELS = [
  "helm.sh/chart",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/managed-by",
  "app.kubernetes.io/version",
];
const HELM_ANNOTATIONS = ["helm.sh/resource-policy"];

interface Shell {
  code: number;
  out: string;
  err: string;
}

/** A command through bash, as a user types it: Helm and this cluster's kubectl first on PATH, KUBECONFIG set,
 * Helm's own files under the run's state directory. */
function sh(command: string): Promise<Shell> {
  const helmHome = join(cluster.stateDir, "helm");
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-o", "pipefail", "-c", command],
      {
        cwd: root,
        maxBuffer: 64 << 20,
        env: {
          ...process.env,
          KUBECONFIG: cluster.kubeconfigPath,
          PATH: `${dirname(helmBin)}:${cluster.binDir}:${process.env.PATH}`,
          HELM_CACHE_HOME: join(helmHome, "cache"),
          HELM_CONFIG_HOME: join(helmHome, "config"),
          HELM_DATA_HOME: join(helmHome, "data"),
        },
      },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

async function ok(command: string): Promise<string> {
  const result = await sh(command);
  assert.equal(result.code, 0, `${command}: ${result.err}${result.out}`);
  return result.out;
}

interface Deployment {
  spec: {
    replicas: number;
    template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } };
  };
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

const key = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

function objects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null)
    .sort((a, b) => key(a).localeCompare(key(b)));
}

/** A rendered object without what the chart adds for Helm: its labels and the keep annotation. */
function withoutHelmMetadata(o: K8sObject): K8sObject {
  const metadata = { ...o.metadata };
  for (const [field, names] of [
    ["labels", HELM_LABELS],
    ["annotations", HELM_ANNOTATIONS],
  ] as const) {
    const kept = Object.entries(metadata[field] ?? {}).filter(([k]) => !names.includes(k));
    if (kept.length > 0) metadata[field] = Object.fromEntries(kept);
    else delete metadata[field];
  }
  return { ...o, metadata };
}

describe("the chart, rendered", () => {
  before(() => mkdirSync(join(cluster.stateDir, "helm"), { recursive: true }));

  test("helm lint --strict finds nothing, with cert-manager and with manual certificates", async () => {
    const out = await ok("helm lint --strict charts/hourglass");
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    await ok(
      "helm lint --strict charts/hourglass --set webhook.certificate.provider=manual --set webhook.certificate.caBundle=Q0E=",
    );
  });

  test("with the default values, release hourglass in hourglass-system, it renders config/default", async () => {
    const rendered = objects(
      await ok("helm template hourglass charts/hourglass --namespace hourglass-system"),
    );
    const built = objects(await ok("kubectl kustomize config/default"));
    // The release's namespace is Helm's (--create-namespace, or created beforehand), not an object of the chart.
    assert.deepEqual(built.filter((o) => o.kind === "Namespace").map(key), ["Namespace /hourglass-system"]);
    assert.deepEqual(
      rendered.map(withoutHelmMetadata),
      built.filter((o) => o.kind !== "Namespace"),
    );
    for (const o of rendered) {
      assert.equal(
        o.metadata.labels?.["app.kubernetes.io/instance"],
        "hourglass",
        `${key(o)}: no release label`,
      );
    }
  });

  test("metrics.serviceMonitor.enabled adds config/prometheus", async () => {
    const plain = objects(await ok("helm template hourglass charts/hourglass -n hourglass-system")).map(key);
    const rendered = objects(
      await ok(
        "helm template hourglass charts/hourglass -n hourglass-system --set metrics.serviceMonitor.enabled=true",
      ),
    );
    assert.deepEqual(
      rendered.filter((o) => !plain.includes(key(o))).map(withoutHelmMetadata),
      objects(await ok("kubectl kustomize config/prometheus")),
    );
  });

  test("another release gets its own names and namespace everywhere, and keeps config/'s labels and selectors", async () => {
    const rendered = objects(await ok("helm template edge charts/hourglass --namespace avs-ops"));
    const text = JSON.stringify(rendered);
    assert.doesNotMatch(text, /hourglass-system/);
    const names = rendered.filter((o) => o.kind !== "CustomResourceDefinition").map((o) => o.metadata.name);
    assert.ok(
      names.every((n) => n.startsWith("edge-hourglass-")),
      names.join(", "),
    );
    const deployment = rendered.find((o) => o.kind === "Deployment") as K8sObject & {
      spec: { selector: unknown; template: { spec: { serviceAccountName: string } } };
    };
    assert.deepEqual(deployment.spec.selector, {
      matchLabels: { "app.kubernetes.io/name": "hourglass-operator" },
    });
    assert.equal(deployment.spec.template.spec.serviceAccountName, "edge-hourglass-operator");
    assert.equal(deployment.metadata.labels?.app, "hourglass-operator");
    const webhook = rendered.find((o) => o.kind === "ValidatingWebhookConfiguration")!;
    assert.equal(
      webhook.metadata.annotations?.["cert-manager.io/inject-ca-from"],
      "avs-ops/edge-hourglass-serving-cert",
    );
    assert.match(
      JSON.stringify(webhook),
      /"service":\{"name":"edge-hourglass-webhook-service","namespace":"avs-ops"/,
    );
    const serving = rendered.find(
      (o) => o.kind === "Certificate" && o.metadata.name.endsWith("serving-cert"),
    )!;
    assert.deepEqual((serving as { spec?: { dnsNames?: string[] } }).spec?.dnsNames, [
      "edge-hourglass-webhook-service.avs-ops.svc",
      "edge-hourglass-webhook-service.avs-ops.svc.cluster.local",
    ]);
  });

  test("the schema refuses a value the chart does not know and a value of the wrong type, naming each", async () => {
    const misspelt = await sh("helm template hourglass charts/hourglass --set operator.replicas=3");
    assert.notEqual(misspelt.code, 0);
    assert.match(misspelt.err, /replicas/);
    const mistyped = await sh("helm template hourglass charts/hourglass --set operator.replicaCount=two");
    assert.notEqual(mistyped.code, 0);
    assert.match(mistyped.err, /replicaCount/);
    const policy = await sh("helm template hourglass charts/hourglass --set webhook.failurePolicy=Sometimes");
    assert.notEqual(policy.code, 0);
    assert.match(policy.err, /failurePolicy/);
  });

  test("manual certificates: no cert-manager objects, the CA in every webhook, and an error naming the value without one", async () => {
    const rendered = objects(
      await ok(
        "helm template hourglass charts/hourglass -n hourglass-system " +
          "--set webhook.certificate.provider=manual --set webhook.certificate.caBundle=Q0E=",
      ),
    );
    assert.deepEqual(rendered.filter((o) => o.apiVersion.startsWith("cert-manager.io/")).map(key), []);
    const hooks = rendered.filter((o) => o.kind.endsWith("WebhookConfiguration")) as (K8sObject & {
      webhooks: { clientConfig: { caBundle?: string } }[];
    })[];
    assert.equal(hooks.length, 2);
    for (const hook of hooks) {
      assert.equal(hook.metadata.annotations, undefined, `${key(hook)}: still asks cainjector for its CA`);
      assert.deepEqual(
        hook.webhooks.map((w) => w.clientConfig.caBundle),
        hook.webhooks.map(() => "Q0E="),
      );
    }
    const missing = await sh(
      "helm template hourglass charts/hourglass --set webhook.certificate.provider=manual",
    );
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /webhook\.certificate\.caBundle: .*Secret hourglass-webhook-server-cert/);
  });
});

/** The shell commands of the README's "Install with Helm" section. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = /^## Install with Helm\n([\s\S]*?)^## /m.exec(readme)?.[1];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'README.md: no "## Install with Helm" section with a ```sh block');
  return block.split("\n").filter((line) => line.trim() !== "");
}

describe("README's Install with Helm, on the local control plane", () => {
  const release = `helm-${process.pid}`;
  const fullname = `${release}-hourglass`;
  const namespace = `${release}-system`;
  const ran = new Set<string>();
  const commands = readmeCommands();

  /** The README command that starts with `start`, for this test's release and namespace, run and remembered. */
  async function readme(start: string): Promise<string> {
    const command = commands.find((c) => c.startsWith(start));
    assert.ok(command, `README.md's Install with Helm has no command starting "${start}"`);
    ran.add(command);
    // The run's control plane has the guide's names taken (by the local webhook registrations and by
    // deploy.test.ts): this release gets names of its own, as any other release name would.
    const local = command
      .replaceAll("hourglass-system", namespace)
      .replace(/^helm (install|upgrade|uninstall) hourglass /, `helm $1 ${release} `);
    return ok(local);
  }

  async function get<T = K8sObject>(resource: string): Promise<T> {
    return JSON.parse(await ok(`kubectl get ${resource} -n ${namespace} -o json`)) as T;
  }
  const logLevel = (d: Deployment) =>
    d.spec.template.spec.containers[0]!.env.find((e) => e.name === "LOG_LEVEL");

  before(async () => {
    mkdirSync(join(cluster.stateDir, "helm"), { recursive: true });
    await installCertManagerCrds();
    // The CRD is cluster-wide and installed by the run's set-up: the release adopts it, as Helm adopts an object
    // labelled and annotated for it, instead of failing on an object it does not own.
    await ok(`kubectl label ${CRD} app.kubernetes.io/managed-by=Helm --overwrite`);
    await ok(
      `kubectl annotate ${CRD} meta.helm.sh/release-name=${release} meta.helm.sh/release-namespace=${namespace} --overwrite`,
    );
  });

  after(async () => {
    await kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
    await kubectl(["label", CRD, "app.kubernetes.io/managed-by-"]);
    await kubectl(["annotate", CRD, "meta.helm.sh/release-name-", "meta.helm.sh/release-namespace-"]);
  });

  test("install, upgrade and uninstall", async (t) => {
    const elsewhere = await useNamespace(t, "helm-admission");
    const performer = (ns: string, name: string) =>
      JSON.stringify({
        apiVersion: "hourglass.eigenlayer.io/v1alpha1",
        kind: "Performer",
        metadata: { name, namespace: ns },
        spec: {
          avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
          image: "registry.example/p",
          version: "v1",
        },
      });
    const apply = (ns: string, name: string) => sh(`echo '${performer(ns, name)}' | kubectl apply -f -`);

    await readme("kubectl create namespace");
    await readme("kubectl label namespace");
    const labels = (await get(`namespace/${namespace}`)).metadata.labels;
    assert.equal(labels?.["pod-security.kubernetes.io/enforce"], "restricted");

    await readme("helm install");
    const deployment = await get<Deployment>(`deployment/${fullname}-operator`);
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(deployment.spec.template.spec.containers[0]!.image, "hourglass-k8s:dev");
    assert.deepEqual(logLevel(deployment), { name: "LOG_LEVEL", value: "info" });
    const installed = [
      `serviceaccount/${fullname}-operator`,
      `role/${fullname}-leader-election`,
      `rolebinding/${fullname}-leader-election`,
      `service/${fullname}-webhook-service`,
      `service/${fullname}-operator-metrics`,
      `poddisruptionbudget/${fullname}-operator`,
      `issuer.cert-manager.io/${fullname}-selfsigned-issuer`,
      `issuer.cert-manager.io/${fullname}-ca-issuer`,
      `certificate.cert-manager.io/${fullname}-ca`,
      `certificate.cert-manager.io/${fullname}-serving-cert`,
    ];
    await ok(`kubectl get -n ${namespace} ${installed.join(" ")}`);
    const clusterWide = [
      `clusterrole/${fullname}-operator`,
      `clusterrole/${fullname}-performer-viewer`,
      `clusterrole/${fullname}-performer-editor`,
      `clusterrolebinding/${fullname}-operator-binding`,
      `mutatingwebhookconfiguration/${fullname}-mutating-webhook`,
      `validatingwebhookconfiguration/${fullname}-validating-webhook`,
    ];
    await ok(`kubectl get ${clusterWide.join(" ")}`);
    const binding = JSON.parse(
      await ok(`kubectl get clusterrolebinding/${fullname}-operator-binding -o json`),
    );
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: `${fullname}-operator`, namespace }]);
    const crd = JSON.parse(await ok(`kubectl get ${CRD} -o json`));
    assert.equal(crd.metadata.annotations["helm.sh/resource-policy"], "keep");
    assert.equal(crd.metadata.labels["app.kubernetes.io/instance"], release);

    // Its webhooks are live, with failurePolicy Fail: with no operator Pod behind the Service, a Performer
    // anywhere but the release's namespace is refused.
    const refused = await apply(elsewhere, "refused");
    assert.notEqual(
      refused.code,
      0,
      "a Performer was admitted with no webhook server behind the chart's Service",
    );
    assert.match(refused.err, new RegExp(`${fullname}-webhook-service`));
    // In the release's own namespace the chart's webhooks do not apply; the run's operator admits it.
    assert.equal((await apply(namespace, "survivor")).code, 0);

    const shown = await readme("helm show values");
    // Helm prints the file with a blank line after it.
    assert.equal(shown.trimEnd(), readFileSync(join(chart, "values.yaml"), "utf8").trimEnd());
    assert.match(shown, /# Replicas\. Each serves admission/);

    await readme("helm upgrade");
    const upgraded = await get<Deployment>(`deployment/${fullname}-operator`);
    assert.deepEqual(logLevel(upgraded), { name: "LOG_LEVEL", value: "debug" });
    assert.equal(upgraded.spec.replicas, 2, "--reuse-values kept the other values");

    // An upgrade to what a cluster without cert-manager uses: the cert-manager objects go, the CA is in place,
    // and with failurePolicy Ignore the Performer that was refused is admitted.
    await ok(
      `helm upgrade ${release} charts/hourglass -n ${namespace} --set operator.replicaCount=1 ` +
        "--set webhook.failurePolicy=Ignore --set webhook.certificate.provider=manual --set webhook.certificate.caBundle=Q0E=",
    );
    assert.equal((await get<Deployment>(`deployment/${fullname}-operator`)).spec.replicas, 1);
    const hook = JSON.parse(
      await ok(`kubectl get validatingwebhookconfiguration/${fullname}-validating-webhook -o json`),
    );
    assert.deepEqual(
      hook.webhooks.map((w: { failurePolicy: string; clientConfig: { caBundle?: string } }) => [
        w.failurePolicy,
        w.clientConfig.caBundle,
      ]),
      [
        ["Ignore", "Q0E="],
        ["Ignore", "Q0E="],
      ],
    );
    assert.equal(hook.metadata.annotations?.["cert-manager.io/inject-ca-from"], undefined);
    await eventually("the cert-manager objects to go", async () => {
      const left = await ok(
        `kubectl get issuers.cert-manager.io,certificates.cert-manager.io -n ${namespace} -o name`,
      );
      return left.trim() === "" ? true : undefined;
    });
    assert.equal((await apply(elsewhere, "admitted")).code, 0);
    const history = JSON.parse(await ok(`helm history ${release} -n ${namespace} -o json`));
    assert.deepEqual(
      history.map((h: { revision: number; status: string }) => [h.revision, h.status]),
      [
        [1, "superseded"],
        [2, "superseded"],
        [3, "deployed"],
      ],
    );

    await readme("helm uninstall");
    const kinds =
      "deployments,services,serviceaccounts,roles,rolebindings,poddisruptionbudgets,issuers.cert-manager.io," +
      "certificates.cert-manager.io,secrets,clusterroles,clusterrolebindings,mutatingwebhookconfigurations," +
      "validatingwebhookconfigurations";
    await eventually("every object of the release to go", async () => {
      const left = await ok(`kubectl get ${kinds} -A -l app.kubernetes.io/instance=${release} -o name`);
      return left.trim() === "" ? true : undefined;
    });
    for (const name of [...installed, ...clusterWide]) {
      const ns = installed.includes(name) ? ["-n", namespace] : [];
      const result = await kubectl(["get", name, ...ns, "-o", "name"]);
      assert.match(result.stderr, /NotFound/, `${name} is still there after helm uninstall`);
    }
    assert.equal((await ok(`helm list -n ${namespace} -q`)).trim(), "");
    // crd.keep: the CRD and the Performers stay.
    await ok(`kubectl get ${CRD}`);
    await ok(`kubectl get performer/survivor -n ${namespace}`);

    assert.deepEqual(
      commands.filter((c) => !ran.has(c)),
      [],
      "README.md's Install with Helm has commands this test does not run",
    );
  });
});
