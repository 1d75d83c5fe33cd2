// The checks of `hourglass doctor`, against a cluster: the troubleshooting guide's diagnosis, section by section.
// Each check reads what it needs and turns it into findings; a check that cannot read something says so as a
// finding (the doctor's own RBAC), rather than stopping the others.
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect } from "node:tls";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  type V1Pod,
} from "@kubernetes/client-node";
import { operatorRules } from "../../controllers/operator-permissions.ts";
import { parseExecutorConfig } from "../api/executor-config.ts";
import {
  LABEL_EXECUTOR_CONFIG,
  PERFORMER_GROUP,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
  type Performer,
  performerChildName,
} from "../api/performer.ts";
import { isProgressReason } from "../api/performer-conditions.ts";
import { errorsOf, formatProblem } from "../api/problem.ts";
import { compareQuantities, tryParseQuantity } from "../api/quantity.ts";
import { apiErrorMessage, isNotFound } from "../kube/api-errors.ts";
import { type RbacRule, ruleName, ruleYaml } from "../kube/rbac-rules.ts";
import { crashLoopOf, podFindings } from "./diagnose-pod.ts";
import { executorHealthPort, executorLogsTarget } from "./executor-pod.ts";
import { executorReadyFindings } from "./executor-ready.ts";
import type { Finding } from "./finding.ts";

/** The namespace the operator is installed in, where the doctor looks for it. */
export const OPERATOR_NAMESPACE = "hourglass-system";
/** The operator's Deployment, ServiceAccount, ClusterRole and Lease name. */
export const OPERATOR_NAME = "hourglass-operator";
/** The label selector of executor Pods. */
export const EXECUTOR_LABEL = "app=hourglass-executor";
const WEBHOOK_CONFIGURATIONS = ["hourglass-mutating-webhook", "hourglass-validating-webhook"];
const EXECUTOR_CONFIG_KEY = "config.yaml";

/** Which cluster and namespace `hourglass doctor` checks, and how long it waits for a probe. */
export interface DoctorOptions {
  kubeConfig: KubeConfig;
  /** Only this namespace's executors and Performers; all namespaces that have any when absent. */
  namespace?: string;
  /** How long to wait for an executor's /ready or a webhook's TLS handshake. */
  probeTimeoutMs?: number;
}

/** One Performer as the doctor's report lists it: where it is, its phase and its endpoint. */
export interface PerformerSummary {
  namespace: string;
  name: string;
  phase: string;
  /** The DNS name and port the executor dials. */
  endpoint: string;
}

/** What `hourglass doctor` found, what it checked, and the Performers it saw. */
export interface DoctorReport {
  findings: Finding[];
  checked: string[];
  performers: PerformerSummary[];
}

function clients(kc: KubeConfig) {
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    auth: kc.makeApiClient(AuthorizationV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
}
type Clients = ReturnType<typeof clients>;

function unreadable(check: string, object: string, error: unknown): Finding {
  return {
    check,
    object,
    problem: `could not read it: ${apiErrorMessage(error)}`,
    fix: "run the doctor as a user who may read the operator's and the AVS's objects (e.g. a cluster admin)",
  };
}

async function subjectMay(c: Clients, user: string, rule: RbacRule): Promise<boolean> {
  const [resource, subresource] = rule.resource.split("/");
  const review = await c.auth.createSubjectAccessReview({
    body: {
      spec: {
        user,
        groups: [
          "system:serviceaccounts",
          `system:serviceaccounts:${user.split(":")[2]}`,
          "system:authenticated",
        ],
        resourceAttributes: {
          verb: rule.verb,
          group: rule.group,
          resource,
          ...(subresource ? { subresource } : {}),
          ...(rule.namespace ? { namespace: rule.namespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/** RBAC: a SubjectAccessReview for every verb each component needs; each missing rule with the line to add. */
async function rbacFindings(
  c: Clients,
  subject: string,
  rules: RbacRule[],
  role: string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const rule of rules) {
    try {
      if (await subjectMay(c, subject, rule)) continue;
      const where = rule.namespace ? ` in namespace ${rule.namespace}` : "";
      findings.push({
        check: "RBAC",
        object: subject,
        problem: `Forbidden: may not ${ruleName(rule)}${where} (${rule.why})`,
        fix: `add to ${role}: ${ruleYaml(rule)}`,
      });
    } catch (error) {
      findings.push(unreadable("RBAC", subject, error));
      break;
    }
  }
  return findings;
}

function executorRules(namespace: string): RbacRule[] {
  return ["list", "watch", "create", "delete"].map((verb) => ({
    verb,
    group: PERFORMER_GROUP,
    resource: PERFORMER_PLURAL,
    namespace,
    why: "the executor manages its AVS's Performers",
  }));
}

async function operatorFindings(c: Clients): Promise<Finding[]> {
  const object = `deployment/${OPERATOR_NAME} -n ${OPERATOR_NAMESPACE}`;
  const findings: Finding[] = [];
  try {
    const deployment = await c.apps.readNamespacedDeployment({
      name: OPERATOR_NAME,
      namespace: OPERATOR_NAMESPACE,
    });
    if (!deployment.status?.availableReplicas) {
      findings.push({
        check: "Operator",
        object,
        problem: "no replica of the operator is available: Performers are neither admitted nor reconciled",
        fix: `kubectl describe ${object}; kubectl logs -n ${OPERATOR_NAMESPACE} deployment/${OPERATOR_NAME}`,
      });
    }
  } catch (error) {
    findings.push(
      isNotFound(error)
        ? {
            check: "Operator",
            object,
            problem: "the operator is not installed",
            fix: "make deploy (kubectl apply -k config/default)",
          }
        : unreadable("Operator", object, error),
    );
  }
  try {
    const lease = await c.coordination.readNamespacedLease({
      name: OPERATOR_NAME,
      namespace: OPERATOR_NAMESPACE,
    });
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    if (!lease.spec?.holderIdentity || Date.now() - renewed > 2 * durationMs) {
      findings.push({
        check: "Operator",
        object: `lease/${OPERATOR_NAME} -n ${OPERATOR_NAMESPACE}`,
        problem: `no operator holds the leader Lease (holder "${lease.spec?.holderIdentity ?? ""}", renewed ${lease.spec?.renewTime ?? "never"}): no Performer is being reconciled`,
        fix: `kubectl logs -n ${OPERATOR_NAMESPACE} deployment/${OPERATOR_NAME} | grep -i lease; kubectl rollout restart deployment/${OPERATOR_NAME} -n ${OPERATOR_NAMESPACE}`,
      });
    }
  } catch (error) {
    if (!isNotFound(error)) findings.push(unreadable("Operator", `lease/${OPERATOR_NAME}`, error));
    else {
      findings.push({
        check: "Operator",
        object: `lease/${OPERATOR_NAME} -n ${OPERATOR_NAMESPACE}`,
        problem: "no leader Lease: no operator has started reconciling",
        fix: `kubectl logs -n ${OPERATOR_NAMESPACE} deployment/${OPERATOR_NAME}`,
      });
    }
  }
  return findings;
}

/** Whether `caPem` validates the certificate served at `url` (the handshake the apiserver makes). */
function tlsVerifies(url: string, caPem: string, timeoutMs: number): Promise<string | undefined> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const host = hostname.replace(/^\[|\]$/g, "");
    // SNI takes names only; for an IP the certificate's IP SANs are what is checked.
    const servername = isIP(host) ? undefined : host;
    const socket = connect({
      host,
      port: Number(port || 443),
      ca: caPem,
      ...(servername ? { servername } : {}),
    });
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once("secureConnect", () => done(undefined));
    socket.once("error", (error) => done(error.message));
  });
}

function caVerifiesCertificate(caPem: string, certPem: string): boolean {
  try {
    return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

async function webhookFindings(c: Clients, timeoutMs: number): Promise<Finding[]> {
  const findings: Finding[] = [];
  const configs = [];
  for (const name of WEBHOOK_CONFIGURATIONS) {
    const read =
      name === "hourglass-mutating-webhook"
        ? c.admission.readMutatingWebhookConfiguration({ name })
        : c.admission.readValidatingWebhookConfiguration({ name });
    try {
      configs.push({ name, webhooks: (await read).webhooks ?? [] });
    } catch (error) {
      findings.push(
        isNotFound(error)
          ? {
              check: "Webhooks",
              object: name,
              problem: "the webhook configuration is missing: Performers are neither checked nor defaulted",
              fix: "make deploy (kubectl apply -k config/default)",
            }
          : unreadable("Webhooks", name, error),
      );
    }
  }
  const endpointsChecked = new Set<string>();
  for (const config of configs) {
    for (const hook of config.webhooks) {
      const object = `${config.name} webhook ${hook.name}`;
      const bundle = hook.clientConfig.caBundle;
      if (!bundle) {
        findings.push({
          check: "Webhooks",
          object,
          problem:
            "no caBundle: the apiserver cannot trust the webhook server, so every Performer create fails",
          fix: `check cert-manager's cainjector and the Certificate: kubectl -n ${OPERATOR_NAMESPACE} describe certificate hourglass-serving-cert`,
        });
        continue;
      }
      const caPem = Buffer.from(bundle, "base64").toString();
      if (hook.clientConfig.url) {
        const failure = await tlsVerifies(hook.clientConfig.url, caPem, timeoutMs);
        if (failure) {
          findings.push({
            check: "Webhooks",
            object,
            problem: `the webhook server at ${hook.clientConfig.url} cannot be verified with the caBundle: ${failure}`,
            fix: "serve a certificate signed by the caBundle's CA, or put that CA in the caBundle",
          });
        }
        continue;
      }
      const service = hook.clientConfig.service;
      if (!service || endpointsChecked.has(`${service.namespace}/${service.name}`)) continue;
      endpointsChecked.add(`${service.namespace}/${service.name}`);
      findings.push(...(await serviceEndpointFindings(c, service.namespace, service.name, "Webhooks")));
      try {
        const secret = await c.core.readNamespacedSecret({
          name: "hourglass-webhook-server-cert",
          namespace: OPERATOR_NAMESPACE,
        });
        const cert = secret.data?.["tls.crt"];
        if (cert && !caVerifiesCertificate(caPem, Buffer.from(cert, "base64").toString())) {
          findings.push({
            check: "Webhooks",
            object,
            problem:
              "the caBundle did not sign the serving certificate in secret/hourglass-webhook-server-cert",
            fix: `let cert-manager's cainjector refresh it: kubectl -n ${OPERATOR_NAMESPACE} describe certificate hourglass-serving-cert`,
          });
        }
      } catch {
        // The serving certificate may not be readable by the doctor's user: the endpoint check above still ran.
      }
    }
  }
  return findings;
}

/** A Service with no ready endpoint: the guide's "Service Discovery Problems". */
async function serviceEndpointFindings(
  c: Clients,
  namespace: string,
  name: string,
  check: string,
  pod?: V1Pod,
): Promise<Finding[]> {
  const object = `service/${name} -n ${namespace}`;
  let selector: Record<string, string> | undefined;
  try {
    selector = (await c.core.readNamespacedService({ name, namespace })).spec?.selector;
  } catch (error) {
    if (!isNotFound(error)) return [unreadable(check, object, error)];
    return [
      { check, object, problem: "the Service does not exist", fix: `kubectl get services -n ${namespace}` },
    ];
  }
  const slices = await c.discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${name}`,
  });
  const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
  const findings: Finding[] = [];
  const labels = pod?.metadata?.labels ?? {};
  const mismatched = pod ? Object.entries(selector ?? {}).filter(([k, v]) => labels[k] !== v) : [];
  if (mismatched.length) {
    findings.push({
      check: "Service Discovery Problems",
      object,
      problem: `the Service's selector does not match its Pod ${pod?.metadata?.name}: ${mismatched.map(([k, v]) => `${k}=${v} (Pod has ${labels[k] ?? "none"})`).join(", ")}`,
      fix: `kubectl patch service ${name} -n ${namespace} -p '${JSON.stringify({ spec: { selector: Object.fromEntries(Object.keys(selector ?? {}).map((k) => [k, labels[k] ?? null])) } })}' (the operator puts it back within a reconcile)`,
    });
  } else if (
    ready.length === 0 &&
    (!pod || pod.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"))
  ) {
    findings.push({
      check: "Service Discovery Problems",
      object,
      problem: "the Service has no ready endpoints: connections to it are refused",
      fix: `kubectl get endpoints -n ${namespace}; check the Service selector against the Pod's labels`,
    });
  }
  return findings;
}

async function configFindings(c: Clients, namespace: string | undefined): Promise<Finding[]> {
  const labelSelector = `${LABEL_EXECUTOR_CONFIG}=true`;
  const list = namespace
    ? await c.core.listNamespacedConfigMap({ namespace, labelSelector })
    : await c.core.listConfigMapForAllNamespaces({ labelSelector });
  const findings: Finding[] = [];
  for (const cm of list.items) {
    const object = `configmap/${cm.metadata?.name} -n ${cm.metadata?.namespace}`;
    const text = cm.data?.[EXECUTOR_CONFIG_KEY];
    if (text === undefined) {
      findings.push({
        check: "Configuration",
        object,
        problem: `no key ${EXECUTOR_CONFIG_KEY}`,
        fix: `put the executor's config under data.${EXECUTOR_CONFIG_KEY}`,
      });
      continue;
    }
    for (const p of errorsOf(parseExecutorConfig(text).problems)) {
      findings.push({
        check: "Configuration",
        object,
        problem: formatProblem(p),
        fix: `correct ${EXECUTOR_CONFIG_KEY} (hourglass-executor validate --config config.yaml shows the same)`,
      });
    }
  }
  return findings;
}

async function quotaFindings(c: Clients, namespace: string): Promise<Finding[]> {
  const quotas = await c.core.listNamespacedResourceQuota({ namespace });
  const findings: Finding[] = [];
  for (const quota of quotas.items) {
    for (const [resource, hard] of Object.entries(quota.status?.hard ?? {})) {
      const used = quota.status?.used?.[resource];
      const [u, h] = [tryParseQuantity(used ?? ""), tryParseQuantity(hard)];
      if (!u || !h || compareQuantities(u, h) < 0) continue;
      findings.push({
        check: "Resource quotas",
        object: `resourcequota/${quota.metadata?.name} -n ${namespace}`,
        problem: `Resource quota exceeded: ${resource} used ${used} of ${hard}; new Pods are refused`,
        fix: `kubectl describe resourcequota -n ${namespace}; raise the quota or lower the Performers' requests`,
      });
    }
  }
  return findings;
}

async function performerFindings(c: Clients, performer: Performer): Promise<Finding[]> {
  const namespace = performer.metadata.namespace!;
  const name = performer.metadata.name!;
  const object = `performer/${name} -n ${namespace}`;
  const findings: Finding[] = [];
  for (const condition of performer.status?.conditions ?? []) {
    if (condition.status !== "False" || isProgressReason(condition.reason)) continue;
    if (
      condition.type === "Ready" &&
      performer.status?.conditions?.some(
        (x) => x !== condition && x.status === "False" && x.reason === condition.reason,
      )
    )
      continue;
    findings.push({
      check: "Performer",
      object,
      problem: `${condition.type}=False (${condition.reason}): ${condition.message}`,
      fix: `kubectl describe ${object}; kubectl get events -n ${namespace} --sort-by=.lastTimestamp`,
    });
  }
  if (!performer.status) {
    findings.push({
      check: "Operator Not Creating Performers",
      object,
      problem: "the Performer has no status: the operator has not reconciled it",
      fix: `kubectl logs -n ${OPERATOR_NAMESPACE} deployment/${OPERATOR_NAME}`,
    });
  }
  const child = performerChildName(name);
  let pod: V1Pod | undefined;
  try {
    pod = await c.core.readNamespacedPod({ name: child, namespace });
  } catch (error) {
    if (!isNotFound(error)) findings.push(unreadable("Performer", `pod/${child}`, error));
  }
  if (pod) {
    const events = await c.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${child}`,
    });
    const crashing = pod.status?.containerStatuses?.find((s) => crashLoopOf(s));
    // The run that failed: the current container while it reads terminated, else the one before it.
    const tail = crashing
      ? await logTail(c, namespace, child, crashing.name, !crashing.state?.terminated)
      : undefined;
    findings.push(...podFindings(pod, events.items, tail));
  }
  if (performer.status?.serviceName || pod) {
    findings.push(...(await serviceEndpointFindings(c, namespace, child, "Service Discovery Problems", pod)));
  }
  return findings;
}

async function logTail(
  c: Clients,
  namespace: string,
  name: string,
  container: string,
  previous: boolean,
): Promise<string | undefined> {
  try {
    const log = await c.core.readNamespacedPodLog({ name, namespace, container, previous, tailLines: 10 });
    return log.trimEnd() || undefined;
  } catch {
    // No kubelet answering for the node, or the previous container is gone: the exit code still says something.
    return undefined;
  }
}

/** The executor's /ready, straight from its Pod, when this machine can reach the Pod's IP. */
async function executorFindings(c: Clients, namespace: string, timeoutMs: number): Promise<Finding[]> {
  const pods = await c.core.listNamespacedPod({ namespace, labelSelector: EXECUTOR_LABEL });
  const findings: Finding[] = [];
  for (const pod of pods.items) {
    const ip = pod.status?.podIP;
    if (!ip) continue;
    const object = `pod/${pod.metadata?.name} -n ${namespace}`;
    const host = ip.includes(":") ? `[${ip}]` : ip;
    let ready: Response;
    try {
      ready = await fetch(`http://${host}:${executorHealthPort(pod)}/ready`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch {
      // Not reachable from here (a remote cluster): the Pod's own status is checked by the kubelet's probes.
      continue;
    }
    findings.push(
      ...executorReadyFindings(
        { object, namespace, deployment: executorLogsTarget(pod) },
        ready.status,
        await ready.text(),
      ),
    );
  }
  return findings;
}

async function namespacesOf(c: Clients, namespace: string | undefined): Promise<string[]> {
  if (namespace) return [namespace];
  const performers = (await c.custom.listClusterCustomObject({
    group: PERFORMER_GROUP,
    version: PERFORMER_VERSION,
    plural: PERFORMER_PLURAL,
  })) as { items: Performer[] };
  const configs = await c.core.listConfigMapForAllNamespaces({
    labelSelector: `${LABEL_EXECUTOR_CONFIG}=true`,
  });
  const executors = await c.apps.listDeploymentForAllNamespaces({ labelSelector: EXECUTOR_LABEL });
  return [
    ...new Set([
      ...performers.items.map((p) => p.metadata.namespace!),
      ...configs.items.map((cm) => cm.metadata!.namespace!),
      ...executors.items.map((d) => d.metadata!.namespace!),
    ]),
  ].sort();
}

/** Runs every check of the troubleshooting guide against the cluster and gathers the findings. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const c = clients(options.kubeConfig);
  const timeoutMs = options.probeTimeoutMs ?? 2_000;
  const findings: Finding[] = [];
  const performers: PerformerSummary[] = [];
  const operator = `system:serviceaccount:${OPERATOR_NAMESPACE}:${OPERATOR_NAME}`;
  findings.push(
    ...(await rbacFindings(c, operator, operatorRules(OPERATOR_NAMESPACE), `ClusterRole ${OPERATOR_NAME}`)),
  );
  findings.push(...(await operatorFindings(c)));
  findings.push(...(await webhookFindings(c, timeoutMs)));
  findings.push(...(await configFindings(c, options.namespace)));
  const namespaces = await namespacesOf(c, options.namespace);
  for (const namespace of namespaces) {
    const executors = await c.apps.listNamespacedDeployment({ namespace, labelSelector: EXECUTOR_LABEL });
    for (const deployment of executors.items) {
      const account = deployment.spec?.template.spec?.serviceAccountName ?? "default";
      const subject = `system:serviceaccount:${namespace}:${account}`;
      findings.push(
        ...(await rbacFindings(c, subject, executorRules(namespace), `Role executor-role -n ${namespace}`)),
      );
    }
    findings.push(...(await quotaFindings(c, namespace)));
    const list = (await c.custom.listNamespacedCustomObject({
      group: PERFORMER_GROUP,
      version: PERFORMER_VERSION,
      namespace,
      plural: PERFORMER_PLURAL,
    })) as { items: Performer[] };
    for (const performer of list.items) {
      performers.push({
        namespace,
        name: performer.metadata.name!,
        phase: performer.status?.phase ?? "(no status)",
        endpoint: performer.status?.endpoint ?? "(none yet)",
      });
      findings.push(...(await performerFindings(c, performer)));
    }
    findings.push(...(await executorFindings(c, namespace, timeoutMs)));
  }
  const checked = [
    "RBAC",
    "operator",
    "webhooks",
    "executor configs",
    ...namespaces.map((n) => `namespace ${n}`),
  ];
  return { findings, checked, performers };
}
