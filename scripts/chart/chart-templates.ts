// charts/hourglass/templates/, generated from config/: one template per kustomization that config/default (and
// config/prometheus) is made of, each object as config/ has it, with what a Helm user may change made a value.
// With the default values and release `hourglass` in namespace `hourglass-system` the chart renders exactly what
// `kubectl kustomize config/default` builds, bar the Namespace (Helm's `--create-namespace`) and Helm's own labels.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "yaml";
import { type ConfigDocument, kustomizeResources } from "./kustomize-resources.ts";
import { type Segment, TemplateDocument } from "./template-document.ts";

/** config/'s namespace and name prefix, which the chart takes from the release. */
const CONFIG_NAMESPACE = "hourglass-system";
const CONFIG_PREFIX = "hourglass-";
const FULLNAME = '{{ include "hourglass.fullname" . }}';

const CERT_MANAGER = 'eq .Values.webhook.certificate.provider "cert-manager"';
const MANUAL_CA_BUNDLE =
  '{{ required (printf "webhook.certificate.caBundle: with webhook.certificate.provider=manual, set it to the ' +
  'base64 PEM of the CA that signed the Secret %s-webhook-server-cert" (include "hourglass.fullname" .)) ' +
  ".Values.webhook.certificate.caBundle }}";

/** The condition a template (one per config/ folder) is rendered under; the others always are. */
const CONDITIONS: Record<string, string> = {
  crd: ".Values.crd.install",
  certmanager: CERT_MANAGER,
  prometheus: ".Values.metrics.serviceMonitor.enabled",
};

export interface ChartTemplates {
  files: { name: string; text: string }[];
  /** Values whose defaults are what config/ says, by values path (`operator.replicaCount`). */
  defaults: Map<string, unknown>;
}

/** config/'s names and namespace inside a string, as the release's. */
function released(text: string): string {
  return text
    .replaceAll(CONFIG_NAMESPACE, "{{ .Release.Namespace }}")
    .replace(new RegExp(`\\b${CONFIG_PREFIX}(?=[a-z])`, "g"), `${FULLNAME}-`);
}

class Rules {
  readonly defaults = new Map<string, unknown>();

  /** A configurable value whose default is config/'s. */
  param(t: TemplateDocument, path: Segment[], values: string, block = false): void {
    for (const value of t.values(path)) this.#default(values, value);
    if (block) t.block(path, values);
    else
      t.inline(path, (current) =>
        /^\d+$/.test(current) ? `{{ .Values.${values} }}` : `{{ .Values.${values} | quote }}`,
      );
  }

  #default(values: string, value: unknown): void {
    if (this.defaults.has(values) && JSON.stringify(this.defaults.get(values)) !== JSON.stringify(value)) {
      throw new Error(
        `config/ gives ${values} two defaults: ${JSON.stringify(this.defaults.get(values))}, ${JSON.stringify(value)}`,
      );
    }
    this.defaults.set(values, value);
  }

  apply(t: TemplateDocument): void {
    const kind = t.value(["kind"]) as string;
    const name = t.value(["metadata", "name"]) as string;
    if (name.startsWith(CONFIG_PREFIX)) t.inline(["metadata", "name"], released);
    else if (kind !== "CustomResourceDefinition") {
      throw new Error(
        `${kind} ${name}: config/ names start with ${CONFIG_PREFIX}, which the chart makes the release's`,
      );
    }
    if (t.has(["metadata", "namespace"])) t.inline(["metadata", "namespace"], released);
    t.include(["metadata", "labels"], "hourglass.labels");
    this.#byKind(t, kind);
  }

  #byKind(t: TemplateDocument, kind: string): void {
    switch (kind) {
      case "CustomResourceDefinition":
        t.addWhen(["metadata"], "annotations", ".Values.crd.keep", { "helm.sh/resource-policy": "keep" });
        return;
      case "ServiceAccount":
        t.optional(["metadata"], "annotations", "serviceAccount.annotations", true);
        return;
      case "RoleBinding":
      case "ClusterRoleBinding":
        t.inline(["roleRef", "name"], released);
        t.inline(["subjects", "*", "name"], released);
        t.inline(["subjects", "*", "namespace"], released);
        return;
      case "Deployment":
        this.#deployment(t);
        return;
      case "MutatingWebhookConfiguration":
      case "ValidatingWebhookConfiguration":
        t.inline(["metadata", "annotations", "cert-manager.io/inject-ca-from"], released);
        t.when(["metadata", "annotations"], CERT_MANAGER);
        t.inline(["webhooks", "*", "clientConfig", "service", "name"], released);
        t.inline(["webhooks", "*", "clientConfig", "service", "namespace"], released);
        t.addWhen(
          ["webhooks", "*", "clientConfig"],
          "caBundle",
          'ne .Values.webhook.certificate.provider "cert-manager"',
          t.text(MANUAL_CA_BUNDLE),
        );
        t.inline(["webhooks", "*", "namespaceSelector", "matchExpressions", "*", "values", "*"], released);
        this.param(t, ["webhooks", "*", "failurePolicy"], "webhook.failurePolicy");
        return;
      case "Certificate":
        t.inline(["spec", "secretName"], released);
        t.inline(["spec", "issuerRef", "name"], released);
        if (t.has(["spec", "dnsNames"])) t.inline(["spec", "dnsNames", "*"], released);
        return;
      case "Issuer":
        if (t.has(["spec", "ca"])) t.inline(["spec", "ca", "secretName"], released);
        return;
    }
  }

  #deployment(t: TemplateDocument): void {
    const pod = ["spec", "template", "spec"];
    const container = [...pod, "containers", { name: "operator" }];
    this.param(t, ["spec", "replicas"], "operator.replicaCount");
    const image = String(t.value([...container, "image"]));
    const tag = image.lastIndexOf(":");
    if (tag < 0 || image.includes("@")) {
      throw new Error(
        `config/manager: the operator's image ${image} needs a tag (and no digest) to be split`,
      );
    }
    this.#default("operator.image.repository", image.slice(0, tag));
    this.#default("operator.image.tag", image.slice(tag + 1));
    t.inline(
      [...container, "image"],
      () => '"{{ .Values.operator.image.repository }}:{{ .Values.operator.image.tag }}"',
    );
    this.param(t, [...container, "imagePullPolicy"], "operator.image.pullPolicy");
    this.param(t, [...container, "env", { name: "LOG_LEVEL" }, "value"], "operator.env.logLevel");
    this.param(t, [...container, "resources"], "operator.resources", true);
    this.param(t, [...pod, "affinity"], "scheduling.affinity", true);
    t.inline([...pod, "serviceAccountName"], released);
    t.inline([...pod, "volumes", { name: "webhook-certs" }, "secret", "secretName"], released);
    t.merge(["spec", "template", "metadata", "labels"], "pod.labels");
    t.optional(["spec", "template", "metadata"], "annotations", "pod.annotations", true);
    t.optional(pod, "nodeSelector", "scheduling.nodeSelector", true);
    t.optional(pod, "tolerations", "scheduling.tolerations", true);
    t.optional(pod, "priorityClassName", "scheduling.priorityClassName", false);
    t.optional(pod, "imagePullSecrets", "imagePullSecrets", true);
  }
}

function header(dir: string): string {
  return `{{- /* Generated by \`make manifests\` from config/${dir} (scripts/chart/chart-templates.ts). Do not edit. */}}\n`;
}

/** The folders config/default is made of, as its kustomization lists them, and config/prometheus. */
function configFolders(root: string): string[] {
  const kustomization = parse(
    readFileSync(join(root, "config", "default", "kustomization.yaml"), "utf8"),
  ) as {
    resources: string[];
  };
  return [...kustomization.resources.map((r) => basename(r)), "prometheus"];
}

export function chartTemplates(root: string, sources: ReadonlyMap<string, string>): ChartTemplates {
  const rules = new Rules();
  const files = configFolders(root).map((dir) => {
    const condition = CONDITIONS[dir];
    const resources = kustomizeResources(root, join(root, "config", dir), sources);
    // The release's namespace is Helm's (`--create-namespace`), never an object of the release.
    const objects = resources
      .filter(({ doc }) => doc.get("kind") !== "Namespace")
      .map(({ file, doc }: ConfigDocument) => {
        // The generated files' own header names their source, which is not this file's.
        if (doc.commentBefore?.trimStart().startsWith("Generated by")) doc.commentBefore = null;
        const t = new TemplateDocument(doc, `${file}: ${doc.get("kind")} ${doc.getIn(["metadata", "name"])}`);
        rules.apply(t);
        return `---\n${t.render()}`;
      });
    const body = objects.join("");
    const text = condition ? `{{- if ${condition} }}\n${body}{{- end }}\n` : body;
    return { name: `${dir}.yaml`, text: header(dir) + text };
  });
  return { files, defaults: rules.defaults };
}
