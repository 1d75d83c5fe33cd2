// The admission webhook registrations for the local control plane: the same webhooks a cluster install registers,
// reached by URL on loopback instead of through a Service, trusting the local CA.
const OPERATOR_NAMESPACE = "hourglass-system";

interface Hook {
  name: string;
  path: string;
  rule: { apiGroups: string[]; apiVersions: string[]; resources: string[] };
  objectSelector?: { matchLabels: Record<string, string> };
}

const PERFORMERS = {
  apiGroups: ["hourglass.eigenlayer.io"],
  apiVersions: ["v1alpha1"],
  resources: ["performers"],
};
const CONFIGMAPS = { apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"] };

const VALIDATING: Hook[] = [
  { name: "vperformer.hourglass.eigenlayer.io", path: "/validate-performer", rule: PERFORMERS },
  {
    name: "vexecutorconfig.hourglass.eigenlayer.io",
    path: "/validate-executor-config",
    rule: CONFIGMAPS,
    objectSelector: { matchLabels: { "hourglass.eigenlayer.io/executor-config": "true" } },
  },
];
const MUTATING: Hook[] = [
  { name: "mperformer.hourglass.eigenlayer.io", path: "/mutate-performer", rule: PERFORMERS },
];

function webhook(hook: Hook, baseUrl: string, caBundle: string) {
  return {
    name: hook.name,
    clientConfig: { url: `${baseUrl}${hook.path}`, caBundle },
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

/** The Validating- and MutatingWebhookConfiguration for a webhook server at `baseUrl` (no trailing slash). */
export function localWebhookConfigurations(baseUrl: string, caPem: string): object[] {
  const caBundle = Buffer.from(caPem).toString("base64");
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "hourglass-validating-webhook" },
      webhooks: VALIDATING.map((hook) => webhook(hook, baseUrl, caBundle)),
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "hourglass-mutating-webhook" },
      webhooks: MUTATING.map((hook) => ({
        ...webhook(hook, baseUrl, caBundle),
        reinvocationPolicy: "Never",
      })),
    },
  ];
}
