// The chart's values: what each one does (the comments `helm show values` prints), their defaults (config/'s where
// the templates take a value from config/, the chart's own otherwise) and the JSON schema Helm checks them with, so
// that a misspelt or mistyped value is refused at `helm install` instead of being ignored.
import { Document, isMap, isScalar, type Pair, type Scalar } from "yaml";

interface ValueSpec {
  doc: string;
  /** The chart's own default; none: config/'s, from the templates. */
  default?: unknown;
  enum?: readonly string[];
  minimum?: number;
  children?: Record<string, ValueSpec>;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

export const VALUES: Record<string, ValueSpec> = {
  fullnameOverride: {
    doc:
      "Prefix of every object's name. Empty: the release name when it contains `hourglass`, else " +
      "`<release>-hourglass`. With release `hourglass` in namespace `hourglass-system`, names are those of " +
      "`make deploy` and of the troubleshooting guide's commands (deployment/hourglass-operator, ...).",
    default: "",
  },
  operator: {
    doc: "The operator Deployment: admission webhooks on every replica, the Performer controller on the elected leader.",
    children: {
      image: {
        doc: "The operator's image (`make docker-build` builds it; the executor runs from the same image).",
        children: {
          repository: { doc: "Image repository." },
          tag: { doc: "Image tag." },
          pullPolicy: { doc: "When the kubelet pulls the image.", enum: ["Always", "IfNotPresent", "Never"] },
        },
      },
      replicaCount: {
        doc:
          "Replicas. Each serves admission, one (the Lease holder) runs the controller. Keep 2 or more: the " +
          "PodDisruptionBudget keeps 1 available, so a node drain cannot evict a single replica.",
        minimum: 1,
      },
      resources: { doc: "The operator container's requests and limits." },
      env: {
        doc: "Settings the operator reads from its environment.",
        children: { logLevel: { doc: `LOG_LEVEL: one of ${LOG_LEVELS.join(", ")}.`, enum: LOG_LEVELS } },
      },
    },
  },
  imagePullSecrets: {
    doc: "Secrets for pulling the image from a private registry, as in a Pod: `[{name: my-registry}]`.",
    default: [],
  },
  serviceAccount: {
    doc: "The operator's ServiceAccount (its RBAC is the chart's: exactly what the operator does).",
    children: {
      annotations: { doc: "Annotations on it, e.g. for a cloud provider's workload identity.", default: {} },
    },
  },
  pod: {
    doc: "The operator's Pods.",
    children: {
      annotations: { doc: "Extra annotations.", default: {} },
      labels: {
        doc: "Extra labels (beside `app: hourglass-operator`, which the guide selects on).",
        default: {},
      },
    },
  },
  scheduling: {
    doc: "Where the operator's Pods run.",
    children: {
      nodeSelector: { doc: "Node labels the Pods require.", default: {} },
      tolerations: { doc: "Taints the Pods tolerate.", default: [] },
      affinity: { doc: "Affinity; the default spreads replicas over nodes where it can." },
      priorityClassName: { doc: "PriorityClass of the Pods; empty: the cluster's default.", default: "" },
    },
  },
  crd: {
    doc: "The Performer CustomResourceDefinition.",
    children: {
      install: {
        doc: "Install (and upgrade) it with the chart. Off where it is managed apart from the release.",
        default: true,
      },
      keep: {
        doc:
          "Leave it, and so every Performer, in the cluster on `helm uninstall` (helm.sh/resource-policy: keep). " +
          "Off: uninstalling deletes the CRD and every Performer with it.",
        default: true,
      },
    },
  },
  webhook: {
    doc: "The admission webhooks (Performers, executor-config ConfigMaps), served by every operator replica.",
    children: {
      failurePolicy: {
        doc:
          "Fail: a Performer is refused while no replica answers, so nothing unchecked gets in. Ignore: admitted " +
          "unchecked and undefaulted meanwhile.",
        enum: ["Fail", "Ignore"],
      },
      certificate: {
        doc: "The webhook's serving certificate.",
        children: {
          provider: {
            doc:
              "cert-manager: a self-signed CA and the serving certificate are cert-manager Issuers and " +
              "Certificates, and cainjector puts the CA into the webhook configurations (cert-manager must be " +
              "installed). manual: create the Secret `<fullname>-webhook-server-cert` (tls.crt, tls.key; DNS " +
              "name `<fullname>-webhook-service.<namespace>.svc`) yourself and give its CA in caBundle.",
            enum: ["cert-manager", "manual"],
            default: "cert-manager",
          },
          caBundle: {
            doc: "With provider manual: the base64 PEM of the CA that signed the Secret.",
            default: "",
          },
        },
      },
    },
  },
  metrics: {
    doc: "The operator's metrics (`hourglass_*` on port 8080, Service `<fullname>-operator-metrics`).",
    children: {
      serviceMonitor: {
        doc: "Prometheus Operator scraping.",
        children: {
          enabled: { doc: "Add a ServiceMonitor (needs the Prometheus Operator's CRDs).", default: false },
        },
      },
    },
  },
};

/** Every leaf path: `operator.image.tag`. */
export function valuePaths(spec: Record<string, ValueSpec> = VALUES, prefix = ""): string[] {
  return Object.entries(spec).flatMap(([key, s]) =>
    s.children ? valuePaths(s.children, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** The default of every value: the spec's own, else config/'s from `fromConfig` (which must give exactly those). */
export function defaultValues(fromConfig: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const unknownPaths = [...fromConfig.keys()].filter((p) => !valuePaths().includes(p));
  if (unknownPaths.length > 0)
    throw new Error(`chart values without documentation: ${unknownPaths.join(", ")}`);
  const build = (spec: Record<string, ValueSpec>, prefix: string): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(spec).map(([key, s]) => {
        const path = `${prefix}${key}`;
        if (s.children) return [key, build(s.children, `${path}.`)];
        if ((s.default !== undefined) === fromConfig.has(path)) {
          throw new Error(`chart value ${path}: give its default either in the spec or from config/, once`);
        }
        return [key, s.default ?? fromConfig.get(path)];
      }),
    );
  return build(VALUES, "");
}

function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].map((l) => ` ${l}`).join("\n");
}

/** values.yaml: the defaults, each key under its comment. */
export function valuesYaml(defaults: Record<string, unknown>): string {
  const doc = new Document(defaults);
  doc.commentBefore = wrap(
    "Values of the hourglass chart. Generated by `make manifests` (scripts/chart/chart-values.ts); the chart's " +
      "templates come from config/, so that with these defaults it installs what `make deploy` does.",
  );
  const annotate = (map: unknown, spec: Record<string, ValueSpec>, top: boolean) => {
    if (!isMap(map)) return;
    for (const [i, pair] of (map.items as Pair<Scalar, unknown>[]).entries()) {
      const s = isScalar(pair.key) ? spec[String(pair.key.value)] : undefined;
      if (!s) continue;
      pair.key.commentBefore = wrap(s.doc);
      // A blank line between top-level groups; the document's own comment already stands apart from the first.
      if (top && i > 0) pair.key.spaceBefore = true;
      if (s.children) annotate(pair.value, s.children, false);
    }
  };
  annotate(doc.contents, VALUES, true);
  return doc.toString({ lineWidth: 0 });
}

type Schema = Record<string, unknown>;

function leafSchema(s: ValueSpec, value: unknown): Schema {
  const type = Array.isArray(value)
    ? "array"
    : Number.isInteger(value)
      ? "integer"
      : typeof value === "object" && value !== null
        ? "object"
        : typeof value;
  return {
    description: s.doc,
    type,
    ...(s.enum ? { enum: s.enum } : {}),
    ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
  };
}

/** values.schema.json: every documented key, its type (from its default) and allowed values; no other keys. */
export function valuesSchema(defaults: Record<string, unknown>): Schema {
  const object = (spec: Record<string, ValueSpec>, values: Record<string, unknown>): Schema => ({
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(spec).map(([key, s]) => [
        key,
        s.children
          ? { description: s.doc, ...object(s.children, values[key] as Record<string, unknown>) }
          : leafSchema(s, values[key]),
      ]),
    ),
  });
  return { $schema: "http://json-schema.org/draft-07/schema#", ...object(VALUES, defaults) };
}
