// Admission as a user meets it: Performer creates through the local kube-apiserver, one client, one at a time,
// with the operator's webhooks applying (real lookups: a namespace with an executor config and N Performers)
// against the same creates in a namespace the webhooks leave out, at N = 10 and N = 1,000. The four namespaces are
// measured side by side, a create in each in turn, so that the machine's other work meets all of them alike. The
// difference is what the webhooks cost a `kubectl apply`; the operator's own per-review latency
// (hourglass_webhook_latency_seconds) says where it goes. Each batch is deleted again, so that every create meets
// the same N.
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
import { PooledKubeConfig } from "../src/kube/kubeconfig.ts";
import {
  type ControlPlane,
  destroyControlPlane,
  freePort,
  startControlPlane,
} from "../test/controlplane/controlplane.ts";
import { installProject, kubectlAt } from "../test/controlplane/install.ts";
import { startOperator } from "../test/controlplane/operator-process.ts";
import { executorConfigYaml, supportedAvs } from "../test/support/executor-configs.ts";
import { WEBHOOK_PATHS } from "../webhooks/hourglass-webhooks.ts";
import { localWebhookConfigurations } from "../webhooks/registrations.ts";
import { atMost, type Check } from "./checks.ts";
import { createNamespace, inParallel, until } from "./cluster-steps.ts";
import { percentile } from "./load-stats.ts";

const SIZES = [10, 1000] as const;
/** AVSs the Performers of a namespace spread over, as in the reported measurement. */
const AVS_COUNT = 100;
const MEASURED_LABEL = "bench.hourglass.eigenlayer.io/measured";
const PRELOAD_CONCURRENCY = 16;
/** Creates per namespace between two clean-ups: a namespace holds its size plus at most this many. */
const BATCH = 10;

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
}

/** Per-review time inside the operator, by webhook path: sum and count of its histogram. */
type ReviewTimes = Record<string, { seconds: number; count: number }>;

async function reviewTimes(metricsPort: number): Promise<ReviewTimes> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const times: ReviewTimes = {};
  for (const m of text.matchAll(
    /^hourglass_webhook_latency_seconds_(sum|count)\{webhook="([^"]+)"\} (\S+)$/gm,
  )) {
    times[m[2]!] ??= { seconds: 0, count: 0 };
    const entry = times[m[2]!]!;
    if (m[1] === "sum") entry.seconds = Number(m[3]);
    else entry.count = Number(m[3]);
  }
  return times;
}

function msPerReview(before: ReviewTimes, after: ReviewTimes, path: string): number {
  const a = after[path] ?? { seconds: 0, count: 0 };
  const b = before[path] ?? { seconds: 0, count: 0 };
  return (1000 * (a.seconds - b.seconds)) / Math.max(1, a.count - b.count);
}

export interface AdmissionApiserverResult {
  createsPerNamespace: number;
  /** By namespace size, webhooks on and off. */
  summary: Record<string, { on: Latencies; off: Latencies }>;
  /** Time per review inside the operator, over the whole run. */
  perReview: { mutateMs: number; validateMs: number };
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
    const webhookUrl = `https://127.0.0.1:${webhookPort}`;
    await installProject(cp, webhookUrl);
    const operator = await startOperator({
      kubeconfigPath: cp.kubeconfigPath,
      webhookPort,
      webhookCertDir: cp.pki.webhookCertDir,
      controller: false,
      logFile: join(dir, "logs", "operator-webhooks.log"),
      extraArgs: [],
    });
    try {
      return await measure(cp, operator.metricsPort, webhookUrl, createsPerNamespace);
    } finally {
      await operator.stop();
    }
  } finally {
    await destroyControlPlane(dir);
  }
}

/** A namespace with this label is left out of the webhooks' namespaceSelector: the same creates, no webhook. */
const WEBHOOKS_OFF_LABEL = "bench.hourglass.eigenlayer.io/webhooks";

/** The project's registrations, each leaving out the namespaces labelled off. */
function benchRegistrations(webhookUrl: string, caPem: string) {
  return localWebhookConfigurations(webhookUrl, caPem).map((configuration) => ({
    ...configuration,
    webhooks: configuration.webhooks.map((hook) => ({
      ...hook,
      namespaceSelector: {
        matchExpressions: [
          ...hook.namespaceSelector.matchExpressions,
          { key: WEBHOOKS_OFF_LABEL, operator: "NotIn", values: ["off"] },
        ],
      },
    })),
  }));
}

interface Cell {
  size: number;
  webhooks: boolean;
  namespace: string;
  millis: number[];
}

async function measure(
  cp: ControlPlane,
  metricsPort: number,
  webhookUrl: string,
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
      items: benchRegistrations(webhookUrl, await readFile(cp.pki.caCert, "utf8")),
    }),
  );

  // Four namespaces, each of a size and a mode, measured side by side: every create goes to the next one in turn,
  // so that whatever else the machine does meets each of them alike (the ratio, not the machine, is compared).
  const cells: Cell[] = SIZES.flatMap((size) =>
    [true, false].map((webhooks) => ({
      size,
      webhooks,
      namespace: `admit-${size}-${webhooks ? "on" : "off"}`,
      millis: [],
    })),
  );
  for (const cell of cells) {
    await createNamespace(core, cell.namespace);
    if (!cell.webhooks) {
      await core.patchNamespace(
        { name: cell.namespace, body: { metadata: { labels: { [WEBHOOKS_OFF_LABEL]: "off" } } } },
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
  for (const cell of cells) await webhooksApply(custom, cell.namespace, cell.webhooks);
  // A second's quiet after the preload, so that the apiserver's own reaction to it is not measured.
  await sleep(1000);

  // Batches of BATCH creates per namespace, each deleted again, so that every create meets the same N.
  const batches = Math.max(1, Math.round(createsPerNamespace / BATCH));
  const before = await reviewTimes(metricsPort);
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
  const after = await reviewTimes(metricsPort);

  const latencies = (cell: Cell): Latencies => {
    const sorted = [...cell.millis].sort((a, b) => a - b);
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
  };
  const cellOf = (size: number, webhooks: boolean) =>
    cells.find((c) => c.size === size && c.webhooks === webhooks)!;
  const summary: AdmissionApiserverResult["summary"] = {};
  for (const size of SIZES) {
    summary[size] = { on: latencies(cellOf(size, true)), off: latencies(cellOf(size, false)) };
  }
  const perReview = {
    mutateMs: msPerReview(before, after, WEBHOOK_PATHS.mutatePerformer),
    validateMs: msPerReview(before, after, WEBHOOK_PATHS.validatePerformer),
  };
  const [small, large] = SIZES.map((s) => summary[s]!);
  const creates = cellOf(SIZES[0], true).millis.length;
  return {
    createsPerNamespace: creates,
    summary,
    perReview,
    checks: [
      ...SIZES.map((size) =>
        atMost(
          "admission-apiserver",
          `${size} Performers: p50 added by the webhooks (ms)`,
          summary[size]!.on.p50Ms - summary[size]!.off.p50Ms,
          2,
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
      `${creates} Performer creates in each of 4 namespaces (10 and 1,000 Performers, webhooks on and off), one client, one create at a time, through kube-apiserver, taking the namespaces in turn; in batches of ${BATCH} per namespace, each deleted again; webhooks off = the namespace is outside the webhooks' namespaceSelector`,
      ...SIZES.map((size) => {
        const s = summary[size]!;
        return `${size} Performers in the namespace (${AVS_COUNT} AVSs, an executor config): webhooks on p50 ${s.on.p50Ms.toFixed(1)} ms, p99 ${s.on.p99Ms.toFixed(1)} ms; off p50 ${s.off.p50Ms.toFixed(1)} ms, p99 ${s.off.p99Ms.toFixed(1)} ms`;
      }),
      `inside the operator per review: /mutate-performer ${perReview.mutateMs.toFixed(2)} ms, /validate-performer ${perReview.validateMs.toFixed(2)} ms`,
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
 * The apiserver picks up a webhook configuration through its own informer: dry-run creates probe until one shows
 * the webhooks' defaults (the AVS label) exactly when they should apply in `namespace`.
 */
async function webhooksApply(custom: CustomObjectsApi, namespace: string, on: boolean): Promise<void> {
  await until(
    `webhooks ${on ? "on" : "off"} in ${namespace}`,
    async () => {
      const name = `probe-${Math.floor(performance.now())}`;
      const created = (await custom.createNamespacedCustomObject({
        group: PERFORMER_GROUP,
        version: PERFORMER_VERSION,
        namespace,
        plural: PERFORMER_PLURAL,
        body: performer(namespace, name, 0, true),
        dryRun: "All",
      })) as Performer;
      return LABEL_AVS in (created.metadata.labels ?? {}) === on ? true : undefined;
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
