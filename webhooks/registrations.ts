// The admission webhook registrations, one definition for both places they are installed: a cluster (through the
// webhook Service, CA injected by cert-manager; `make manifests` writes config/webhook/manifests.yaml) and the local
// control plane (by URL on loopback, trusting the local CA).
import {
  LABEL_EXECUTOR_CONFIG,
  PERFORMER_GROUP,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
} from "../src/api/performer.ts";
import { WEBHOOK_PATHS } from "./hourglass-webhooks.ts";

/** The namespace the operator is installed in, which the webhooks leave out of their scope. */
export const OPERATOR_NAMESPACE = "hourglass-system";
/** The Service in front of the operator's webhook server. */
export const WEBHOOK_SERVICE = "hourglass-webhook-service";
/** The cert-manager Certificate whose CA is injected into the registrations. */
export const SERVING_CERTIFICATE = "hourglass-serving-cert";

/** How the apiserver reaches a webhook: by URL with a CA (local control plane) or through its Service. */
export type ClientConfig =
  | { url: string; caBundle: string }
  | { service: { name: string; namespace: string; path: string; port: number } };

interface Hook {
  name: string;
  path: string;
  rule: { apiGroups: string[]; apiVersions: string[]; resources: string[] };
  objectSelector?: { matchLabels: Record<string, string> };
}

const PERFORMERS = {
  apiGroups: [PERFORMER_GROUP],
  apiVersions: [PERFORMER_VERSION],
  resources: [PERFORMER_PLURAL],
};
const CONFIGMAPS = { apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"] };

const VALIDATING: Hook[] = [
  { name: "vperformer.hourglass.eigenlayer.io", path: WEBHOOK_PATHS.validatePerformer, rule: PERFORMERS },
  {
    name: "vexecutorconfig.hourglass.eigenlayer.io",
    path: WEBHOOK_PATHS.validateExecutorConfig,
    rule: CONFIGMAPS,
    objectSelector: { matchLabels: { [LABEL_EXECUTOR_CONFIG]: "true" } },
  },
];
const MUTATING: Hook[] = [
  { name: "mperformer.hourglass.eigenlayer.io", path: WEBHOOK_PATHS.mutatePerformer, rule: PERFORMERS },
];

function webhook(hook: Hook, clientConfig: (path: string) => ClientConfig) {
  return {
    name: hook.name,
    clientConfig: clientConfig(hook.path),
    rules: [{ ...hook.rule, operations: ["CREATE", "UPDATE"], scope: "Namespaced" }],
    // The operator's own namespace is excluded so that a broken webhook can never block repairing the operator.
    namespaceSelector: {
      matchExpressions: [
        { key: "kubernetes.io/metadata.name", operator: "NotIn", values: [OPERATOR_NAMESPACE] },
      ],
    },
    ...(hook.objectSelector ? { objectSelector: hook.objectSelector } : {}),
    sideEffects: "None",
    failurePolicy: "Fail",
    timeoutSeconds: 5,
    admissionReviewVersions: ["v1"],
    matchPolicy: "Equivalent",
  };
}

function configurations(clientConfig: (path: string) => ClientConfig, annotations?: Record<string, string>) {
  const metadata = (name: string) => ({ name, ...(annotations ? { annotations } : {}) });
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: metadata("hourglass-mutating-webhook"),
      webhooks: MUTATING.map((hook) => ({ ...webhook(hook, clientConfig), reinvocationPolicy: "Never" })),
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: metadata("hourglass-validating-webhook"),
      webhooks: VALIDATING.map((hook) => webhook(hook, clientConfig)),
    },
  ];
}

/** As installed in a cluster: through the webhook Service, with the CA injected by cert-manager's cainjector. */
export function clusterWebhookConfigurations() {
  return configurations(
    (path) => ({ service: { name: WEBHOOK_SERVICE, namespace: OPERATOR_NAMESPACE, path, port: 443 } }),
    { "cert-manager.io/inject-ca-from": `${OPERATOR_NAMESPACE}/${SERVING_CERTIFICATE}` },
  );
}

/** As installed on the local control plane: a webhook server at `baseUrl` (no trailing slash) trusting `caPem`. */
export function localWebhookConfigurations(baseUrl: string, caPem: string) {
  const caBundle = Buffer.from(caPem).toString("base64");
  return configurations((path) => ({ url: `${baseUrl}${path}`, caBundle }));
}
