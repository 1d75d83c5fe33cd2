// Admission as a user meets it: Performer creates through the local kube-apiserver, one client, one at a time,
// with the operator's webhooks applying (real lookups: a namespace with an executor config and N Performers)
// against the same creates in a namespace the webhooks leave out, at N = 10 and N = 1,000, and in a namespace where
// a constant-answer webhook server (fastify, the same TLS) takes the operator's place: what any webhook pair costs
// a create here, whatever it decides. The namespaces are measured side by side, a create in each in turn, so that
// the machine's other work meets all of them alike. Each batch is deleted again, so that every create meets the
// same N. Where the time goes is read from both ends: the apiserver's own histogram of the time it waited for each
// webhook (apiserver_admission_webhook_admission_duration_seconds), the operator's time per review
// (hourglass_webhook_latency_seconds), the connections made to the webhook server, and how long the webhook
// server's event loop waited for a CPU (the scheduler's schedstat).
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  LABEL_AVS,
  LABEL_EXECUTOR_CONFIG,
  PERFORMER_API_VERSION,
  PERFORMER_GROUP,
  PERFORMER_KIND,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
  type Performer,
} from "../src/api/performer.ts";
import { OPERATOR_NODE_FLAGS, OPERATOR_NODE_OPTIONS } from "../src/cli/operator-node-options.ts";
import { PooledKubeConfig } from "../src/kube/kubeconfig.ts";
import {
  type ControlPlane,
  destroyControlPlane,
  freePort,
  get,
  startControlPlane,
} from "../test/controlplane/controlplane.ts";
import { installProject, kubectlAt } from "../test/controlplane/install.ts";
import { startOperator } from "../test/controlplane/operator-process.ts";
import { executorConfigYaml, supportedAvs } from "../test/support/executor-configs.ts";
import { startNodeProcess } from "../test/support/grpc-processes.ts";
import { WEBHOOK_PATHS } from "../webhooks/hourglass-webhooks.ts";
import { localWebhookConfigurations } from "../webhooks/registrations.ts";
import { atMost, type Check } from "./checks.ts";
import { createNamespace, inParallel, until } from "./cluster-steps.ts";
import { percentile } from "./load-stats.ts";
import { histogramTotals, perObservation } from "./prometheus-text.ts";
import { type RunQueueTimes, runQueueBetween, runQueueTimes } from "./run-queue.ts";
import { watchConnections } from "./tcp-connections.ts";

const SIZES = [10, 1000] as const;
/** AVSs the Performers of a namespace spread over, as in the reported measurement. */
const AVS_COUNT = 100;
const MEASURED_LABEL = "bench.hourglass.eigenlayer.io/measured";
const PRELOAD_CONCURRENCY = 16;
/** Creates per namespace between two clean-ups: a namespace holds its size plus at most this many. */
const BATCH = 10;
/** The added p50 the webhooks may cost a create. */
const ADDED_P50_TARGET_MS = 2;

const avs = (i: number) => `0x${(i % AVS_COUNT).toString(16).padStart(40, "a")}`;

function performer(namespace: string, name: string, i: number, measured: boolean): Performer {
  return {
    apiVersion: PERFORMER_API_VERSION,
    kind: PERFORMER_KIND,
    metadata: { name, namespace, ...(measured ? { labels: { [MEASURED_LABEL]: "true" } } : {}) },
    spec: { avsAddress: avs(i), image: "registry.example/avs/performer", version: "v1.0.0" },
  };
}

function executorConfigMap(namespace: string) {
  const entries = Array.from(
    { length: AVS_COUNT },
    (_, i) =>
      `    - address: "${avs(i)}"\n      name: avs-${i}\n      performer_image: registry.example/avs/performer\n`,
  ).join("");
  return {
    metadata: { name: "executor-config", namespace, labels: { [LABEL_EXECUTOR_CONFIG]: "true" } },
    data: {
      "config.yaml": executorConfigYaml("kubernetes", supportedAvs(entries)).replace("avs-one", namespace),
    },
  };
}

interface Latencies {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** Which webhooks a namespace's creates meet: the operator's, none, or the constant-answer server's. */
type Mode = "on" | "off" | "baseline";

/** The namespace label that takes a namespace out of the operator's webhooks ("off") or into the baseline's. */
const MODE_LABEL = "bench.hourglass.eigenlayer.io/webhooks";

/** The names the apiserver knows each webhook by (its metrics' `name` label), with the type it reports. */
const HOOKS = {
  mutate: { name: "mperformer.hourglass.eigenlayer.io", type: "admit" },
  validate: { name: "vperformer.hourglass.eigenlayer.io", type: "validating" },
  baselineMutate: { name: "baseline-mperformer.hourglass.eigenlayer.io", type: "admit" },
  baselineValidate: { name: "baseline-vperformer.hourglass.eigenlayer.io", type: "validating" },
} as const;
type HookKey = keyof typeof HOOKS;

/** What the apiserver says it waited for one webhook per create: mean ms per call, and calls per create. */
interface Waited {
  ms: number;
  callsPerCreate: number;
}

export interface AdmissionApiserverResult {
  createsPerNamespace: number;
  /** By namespace size, the operator's webhooks on and off. */
  summary: Record<string, { on: Latencies; off: Latencies }>;
  /** The constant-answer webhook server's namespace (10 Performers). */
  baseline: Latencies;
  /** Time per review inside the operator, over the whole run. */
  perReview: { mutateMs: number; validateMs: number };
  /** What the apiserver reports waiting for each webhook, over the whole run. */
  apiserverWaited: Record<HookKey, Waited>;
  /** The webhook servers' event loops: time waiting for a CPU and times scheduled in, per review. */
  eventLoop: { operator: RunQueueTimes; baseline: RunQueueTimes };
  /** TCP connections (each one TLS handshake) the apiserver made to each webhook server during the run. */
  connections: { operator: number; baseline: number; reviews: number };
  checks: Check[];
  notes: string[];
}

export async function admissionApiserverBenchmark(
  createsPerNamespace: number,
): Promise<AdmissionApiserverResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-admission-apiserver-"));
  const cp = await startControlPlane(dir);
  try {
    const webhookPort = await freePort();
    await installProject(cp, `https://127.0.0.1:${webhookPort}`);
    const operator = await startOperator({
      kubeconfigPath: cp.kubeconfigPath,
      webhookPort,
      webhookCertDir: cp.pki.webhookCertDir,
      controller: false,
      logFile: join(dir, "logs", "operator-webhooks.log"),
      extraArgs: [],
      // As deployed (config/manager/manager.yaml): its V8 flags, and info, so no line is logged per review.
      nodeFlags: OPERATOR_NODE_FLAGS,
      env: { NODE_OPTIONS: OPERATOR_NODE_OPTIONS, LOG_LEVEL: "info" },
    });
    const baseline = startNodeProcess([
      "bench/admission-baseline-server.ts",
      `--cert-dir=${cp.pki.webhookCertDir}`,
    ]);
    try {
      const baselinePort = (await baseline.waitForLog((l) => l.msg === "listening")).port as number;
      const servers: WebhookServers = {
        operator: { port: webhookPort, pid: operator.child.pid!, metricsPort: operator.metricsPort },
        baseline: { port: baselinePort, pid: baseline.child.pid! },
      };
      return await measure(cp, servers, createsPerNamespace);
    } finally {
      await Promise.all([operator.stop(), baseline.stop()]);
    }
  } finally {
    await destroyControlPlane(dir);
  }
}

interface WebhookServers {
  operator: { port: number; pid: number; metricsPort: number };
  baseline: { port: number; pid: number };
}

/**
 * The project's Performer registrations twice: the operator's, leaving out the namespaces labelled with a mode,
 * and the same pointed at the constant-answer server, for the namespaces labelled baseline.
 */
function benchRegistrations(servers: WebhookServers, caPem: string) {
  const url = (port: number) => `https://127.0.0.1:${port}`;
  const ours = localWebhookConfigurations(url(servers.operator.port), caPem).map((configuration) => ({
    ...configuration,
    webhooks: configuration.webhooks.map((hook) => ({
      ...hook,
      namespaceSelector: {
        matchExpressions: [
          ...hook.namespaceSelector.matchExpressions,
          { key: MODE_LABEL, operator: "DoesNotExist" },
        ],
      },
    })),
  }));
  const baseline = localWebhookConfigurations(url(servers.baseline.port), caPem).map((configuration) => ({
    ...configuration,
    metadata: { name: `baseline-${configuration.metadata.name}` },
    webhooks: configuration.webhooks
      .filter((hook) => hook.rules.some((rule) => rule.resources.includes(PERFORMER_PLURAL)))
      .map((hook) => ({
        ...hook,
        name: `baseline-${hook.name}`,
        namespaceSelector: { matchLabels: { [MODE_LABEL]: "baseline" } },
      })),
  }));
  return [...ours, ...baseline];
}

interface Cell {
  size: number;
  mode: Mode;
  namespace: string;
  millis: number[];
}

/** Everything read before and after the measured creates. */
interface Reading {
  operatorMetrics: string;
  apiserverMetrics: string;
  operatorLoop: RunQueueTimes;
  baselineLoop: RunQueueTimes;
}

async function reading(cp: ControlPlane, servers: WebhookServers): Promise<Reading> {
  const apiserver = await get(`${cp.server}/metrics`, cp.pki);
  if (apiserver.status !== 200) throw new Error(`GET ${cp.server}/metrics: ${apiserver.status}`);
  const operator = await fetch(`http://127.0.0.1:${servers.operator.metricsPort}/metrics`);
  return {
    operatorMetrics: await operator.text(),
    apiserverMetrics: apiserver.body,
    operatorLoop: runQueueTimes(servers.operator.pid, true),
    baselineLoop: runQueueTimes(servers.baseline.pid, true),
  };
}

function webhookCalls(metrics: string, key: HookKey) {
  const { name, type } = HOOKS[key];
  return histogramTotals(metrics, "apiserver_admission_webhook_admission_duration_seconds", {
    name,
    type,
    operation: "CREATE",
  });
}

function operatorReviews(metrics: string, path: string) {
  return histogramTotals(metrics, "hourglass_webhook_latency_seconds", { webhook: path });
}

async function measure(
  cp: ControlPlane,
  servers: WebhookServers,
  createsPerNamespace: number,
): Promise<AdmissionApiserverResult> {
  const kc = new PooledKubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await kubectlAt(
    cp,
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: benchRegistrations(servers, await readFile(cp.pki.caCert, "utf8")),
    }),
  );

  // The namespaces, each of a size and a mode, measured side by side: every create goes to the next one in turn,
  // so that whatever else the machine does meets each of them alike (the ratio, not the machine, is compared).
  const cells: Cell[] = [
    ...SIZES.flatMap((size) =>
      (["on", "off"] as const).map((mode) => ({
        size,
        mode,
        namespace: `admit-${size}-${mode}`,
        millis: [],
      })),
    ),
    { size: SIZES[0], mode: "baseline", namespace: `admit-${SIZES[0]}-baseline`, millis: [] },
  ];
  for (const cell of cells) {
    await createNamespace(core, cell.namespace);
    if (cell.mode !== "on") {
      await core.patchNamespace(
        { name: cell.namespace, body: { metadata: { labels: { [MODE_LABEL]: cell.mode } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    }
    await core.createNamespacedConfigMap({
      namespace: cell.namespace,
      body: executorConfigMap(cell.namespace),
    });
    await inParallel(
      Array.from({ length: cell.size }, (_, i) => i),
      PRELOAD_CONCURRENCY,
      (i) => createPerformer(custom, performer(cell.namespace, `p-${i}`, i, false)),
    );
  }
  for (const cell of cells) await webhooksApply(cp, custom, cell);
  // A second's quiet after the preload, so that the apiserver's own reaction to it is not measured.
  await sleep(1000);

  // Batches of BATCH creates per namespace, each deleted again, so that every create meets the same N.
  const batches = Math.max(1, Math.round(createsPerNamespace / BATCH));
  const connections = {
    operator: watchConnections(servers.operator.port),
    baseline: watchConnections(servers.baseline.port),
  };
  const before = await reading(cp, servers);
  let serial = 0;
  for (let batch = 0; batch < batches; batch++) {
    for (let i = 0; i < BATCH; i++) {
      // Each create starts the turn at another namespace, so that none always follows the same one.
      for (let c = 0; c < cells.length; c++) {
        const cell = cells[(c + i + batch) % cells.length]!;
        const body = performer(cell.namespace, `m-${serial++}`, serial, true);
        const started = performance.now();
        await createPerformer(custom, body);
        cell.millis.push(performance.now() - started);
      }
    }
    for (const cell of cells) await removeMeasured(custom, cell.namespace, cell.size);
  }
  const after = await reading(cp, servers);
  const connectionsSeen = {
    operator: await connections.operator.stop(),
    baseline: await connections.baseline.stop(),
  };
  return report(cells, before, after, connectionsSeen);
}

function latencies(cell: Cell): Latencies {
  const sorted = [...cell.millis].sort((a, b) => a - b);
  const meanMs = sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), meanMs };
}

function report(
  cells: Cell[],
  before: Reading,
  after: Reading,
  connectionsSeen: { operator: number; baseline: number },
): AdmissionApiserverResult {
  const cellOf = (size: number, mode: Mode) => cells.find((c) => c.size === size && c.mode === mode)!;
  const summary: AdmissionApiserverResult["summary"] = {};
  for (const size of SIZES) {
    summary[size] = { on: latencies(cellOf(size, "on")), off: latencies(cellOf(size, "off")) };
  }
  const baseline = latencies(cellOf(SIZES[0], "baseline"));
  const creates = cellOf(SIZES[0], "on").millis.length;
  const createsWith = (key: HookKey) => (key.startsWith("baseline") ? creates : creates * SIZES.length);
  const apiserverWaited = Object.fromEntries(
    (Object.keys(HOOKS) as HookKey[]).map((key) => {
      const calls = perObservation(
        webhookCalls(before.apiserverMetrics, key),
        webhookCalls(after.apiserverMetrics, key),
      );
      return [key, { ms: calls.ms, callsPerCreate: calls.count / createsWith(key) }];
    }),
  ) as Record<HookKey, Waited>;
  const review = (path: string) =>
    perObservation(
      operatorReviews(before.operatorMetrics, path),
      operatorReviews(after.operatorMetrics, path),
    );
  const mutate = review(WEBHOOK_PATHS.mutatePerformer);
  const validate = review(WEBHOOK_PATHS.validatePerformer);
  const perReview = { mutateMs: mutate.ms, validateMs: validate.ms };
  const reviews = { operator: mutate.count + validate.count, baseline: 2 * creates };
  const perReviewOf = (loop: RunQueueTimes, count: number): RunQueueTimes => ({
    cpuMs: loop.cpuMs / count,
    waitMs: loop.waitMs / count,
    slices: loop.slices / count,
  });
  const eventLoop = {
    operator: perReviewOf(runQueueBetween(before.operatorLoop, after.operatorLoop), reviews.operator),
    baseline: perReviewOf(runQueueBetween(before.baselineLoop, after.baselineLoop), reviews.baseline),
  };
  const [small, large] = SIZES.map((s) => summary[s]!);
  const added = (size: number) => summary[size]!.on.p50Ms - summary[size]!.off.p50Ms;
  const baselineAdded = baseline.p50Ms - small!.off.p50Ms;
  const w = apiserverWaited;
  const f = (ms: number) => ms.toFixed(2);
  return {
    createsPerNamespace: creates,
    summary,
    baseline,
    perReview,
    apiserverWaited,
    eventLoop,
    connections: { ...connectionsSeen, reviews: reviews.operator },
    checks: [
      ...SIZES.map((size) =>
        atMost(
          "admission-apiserver",
          `${size} Performers: p50 added by the webhooks (ms)`,
          added(size),
          ADDED_P50_TARGET_MS,
        ),
      ),
      atMost(
        "admission-apiserver",
        "webhooks on: p99 at 1,000 / p99 at 10",
        large!.on.p99Ms / small!.on.p99Ms,
        1.2,
      ),
    ],
    notes: [
      `${creates} Performer creates in each of ${cells.length} namespaces (10 and 1,000 Performers with the operator's webhooks on and off, 10 with a constant-answer webhook server), one client, one create at a time, through kube-apiserver, taking the namespaces in turn; in batches of ${BATCH} per namespace, each deleted again; webhooks off = the namespace is outside the webhooks' namespaceSelector`,
      ...SIZES.map((size) => {
        const s = summary[size]!;
        return `${size} Performers in the namespace (${AVS_COUNT} AVSs, an executor config): webhooks on p50 ${s.on.p50Ms.toFixed(1)} ms, p99 ${s.on.p99Ms.toFixed(1)} ms, mean ${s.on.meanMs.toFixed(1)} ms; off p50 ${s.off.p50Ms.toFixed(1)} ms, p99 ${s.off.p99Ms.toFixed(1)} ms, mean ${s.off.meanMs.toFixed(1)} ms`;
      }),
      `where the p50 the webhooks add (${f(added(SIZES[0]))} / ${f(added(SIZES[1]))} ms at 10 / 1,000; target <= ${ADDED_P50_TARGET_MS}) goes, means per create: the apiserver waited ${f(w.mutate.ms)} ms for mperformer (${w.mutate.callsPerCreate.toFixed(2)} calls per create) and ${f(w.validate.ms)} ms for vperformer (${w.validate.callsPerCreate.toFixed(2)}); inside the operator a review took ${f(perReview.mutateMs)} ms (mutate) and ${f(perReview.validateMs)} ms (validate); the rest of each wait (${f(w.mutate.ms - perReview.mutateMs)} / ${f(w.validate.ms - perReview.validateMs)} ms) is between the apiserver and the handler: the apiserver encoding the review and applying the patch, TLS, HTTP, and each process waiting to be scheduled`,
      `a constant-answer webhook pair (fastify, the same TLS, no lookups, no patch) in place of the operator's adds ${f(baselineAdded)} ms at p50 (mean ${f(baseline.meanMs - small!.off.meanMs)} ms), so the operator's webhooks add ${f(added(SIZES[0]) - baselineAdded)} ms more than two webhook calls cost here at all; the apiserver waited ${f(w.baselineMutate.ms)} ms for its mutating and ${f(w.baselineValidate.ms)} ms for its validating webhook`,
      `the webhook servers' event loops per review (schedstat): the operator's waited ${f(eventLoop.operator.waitMs)} ms for a CPU, ran ${f(eventLoop.operator.cpuMs)} ms and was scheduled in ${eventLoop.operator.slices.toFixed(1)} times; the constant-answer server's waited ${f(eventLoop.baseline.waitMs)} ms, ran ${f(eventLoop.baseline.cpuMs)} ms, scheduled in ${eventLoop.baseline.slices.toFixed(1)} times`,
      `TCP connections (TLS handshakes) the apiserver made to the operator's webhook server during the run: ${connectionsSeen.operator}, for ${reviews.operator} reviews; to the constant-answer server: ${connectionsSeen.baseline}, for ${reviews.baseline}`,
      `webhooks off: p99 at 1,000 / p99 at 10 ${(large!.off.p99Ms / small!.off.p99Ms).toFixed(2)} (the apiserver's own growth with the namespace)`,
    ],
  };
}

async function createPerformer(custom: CustomObjectsApi, body: Performer): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: PERFORMER_GROUP,
    version: PERFORMER_VERSION,
    namespace: body.metadata.namespace!,
    plural: PERFORMER_PLURAL,
    body,
  });
}

/**
 * The apiserver picks up a webhook configuration through its own informer: dry-run creates probe until the
 * webhooks meant for the namespace answer them (the operator's defaults show in the AVS label, which neither the
 * webhooks-off namespace nor the constant-answer server's gets; the latter's calls show in the apiserver's count).
 */
async function webhooksApply(cp: ControlPlane, custom: CustomObjectsApi, cell: Cell): Promise<void> {
  const baselineCalls = async () =>
    webhookCalls((await get(`${cp.server}/metrics`, cp.pki)).body, "baselineMutate").count;
  const callsBefore = await baselineCalls();
  await until(
    `webhooks ${cell.mode} in ${cell.namespace}`,
    async () => {
      const name = `probe-${Math.floor(performance.now())}`;
      const created = (await custom.createNamespacedCustomObject({
        group: PERFORMER_GROUP,
        version: PERFORMER_VERSION,
        namespace: cell.namespace,
        plural: PERFORMER_PLURAL,
        body: performer(cell.namespace, name, 0, true),
        dryRun: "All",
      })) as Performer;
      const defaulted = LABEL_AVS in (created.metadata.labels ?? {});
      if (defaulted !== (cell.mode === "on")) return undefined;
      return cell.mode !== "baseline" || (await baselineCalls()) > callsBefore ? true : undefined;
    },
    30_000,
  );
}

async function removeMeasured(custom: CustomObjectsApi, namespace: string, size: number): Promise<void> {
  await custom.deleteCollectionNamespacedCustomObject({
    group: PERFORMER_GROUP,
    version: PERFORMER_VERSION,
    namespace,
    plural: PERFORMER_PLURAL,
    labelSelector: `${MEASURED_LABEL}=true`,
  });
  await until(
    `namespace ${namespace} back to ${size} Performers`,
    async () => {
      const list = (await custom.listNamespacedCustomObject({
        group: PERFORMER_GROUP,
        version: PERFORMER_VERSION,
        namespace,
        plural: PERFORMER_PLURAL,
      })) as { items: unknown[] };
      return list.items.length === size ? true : undefined;
    },
    60_000,
  );
}
