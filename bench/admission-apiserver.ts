// Admission as a user meets it: Performer creates through the local kube-apiserver, one client, one at a time,
// with the operator's webhooks registered (real lookups: a namespace with an executor config and N Performers)
// against the same creates with no webhooks registered, at N = 10 and N = 1,000. The difference is what the
// webhooks cost a `kubectl apply`; the operator's own per-review latency (hourglass_webhook_latency_seconds) says
// where it goes. Each measured batch is deleted again, so that every batch meets the same N.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
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
import { median, percentile } from "./load-stats.ts";

const SIZES = [10, 1000] as const;
/** AVSs the Performers of a namespace spread over, as in the reported measurement. */
const AVS_COUNT = 100;
const MEASURED_LABEL = "bench.hourglass.eigenlayer.io/measured";
const PRELOAD_CONCURRENCY = 16;

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

interface Batch extends Latencies {
  namespaceSize: number;
  webhooks: boolean;
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
  createsPerBatch: number;
  batches: Batch[];
  /** Median over rounds, by namespace size, webhooks on and off. */
  summary: Record<string, { on: Latencies; off: Latencies; mutateMs: number; validateMs: number }>;
  checks: Check[];
  notes: string[];
}

export async function admissionApiserverBenchmark(
  rounds: number,
  createsPerBatch: number,
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
      return await measure(cp, operator.metricsPort, webhookUrl, rounds, createsPerBatch);
    } finally {
      await operator.stop();
    }
  } finally {
    await destroyControlPlane(dir);
  }
}

async function measure(
  cp: ControlPlane,
  metricsPort: number,
  webhookUrl: string,
  rounds: number,
  createsPerBatch: number,
): Promise<AdmissionApiserverResult> {
  const kc = new PooledKubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const registrations = localWebhookConfigurations(webhookUrl, await readFile(cp.pki.caCert, "utf8"));
  const setWebhooks = async (on: boolean) => {
    if (on)
      await kubectlAt(
        cp,
        ["apply", "-f", "-"],
        JSON.stringify({ apiVersion: "v1", kind: "List", items: registrations }),
      );
    else
      await kubectlAt(cp, [
        "delete",
        "--ignore-not-found",
        "mutatingwebhookconfigurations,validatingwebhookconfigurations",
        "--all",
      ]);
  };

  for (const size of SIZES) {
    const namespace = `admit-${size}`;
    await createNamespace(core, namespace);
    await core.createNamespacedConfigMap({ namespace, body: executorConfigMap(namespace) });
    await inParallel(
      Array.from({ length: size }, (_, i) => i),
      PRELOAD_CONCURRENCY,
      (i) => createPerformer(custom, performer(namespace, `p-${i}`, i, false)),
    );
  }

  const batches: Batch[] = [];
  const reviews: { size: number; mutateMs: number; validateMs: number }[] = [];
  let serial = 0;
  for (let round = 0; round < rounds; round++) {
    // Alternate which mode goes first, so that neither always meets a warmer apiserver.
    for (const webhooks of round % 2 === 0 ? [true, false] : [false, true]) {
      await setWebhooks(webhooks);
      for (const size of SIZES) {
        const namespace = `admit-${size}`;
        await settleWebhooks(custom, namespace, webhooks, serial++);
        const before = await reviewTimes(metricsPort);
        const millis: number[] = [];
        for (let i = 0; i < createsPerBatch; i++) {
          const body = performer(namespace, `m-${serial++}`, i, true);
          const started = performance.now();
          await createPerformer(custom, body);
          millis.push(performance.now() - started);
        }
        if (webhooks) {
          const after = await reviewTimes(metricsPort);
          reviews.push({
            size,
            mutateMs: msPerReview(before, after, WEBHOOK_PATHS.mutatePerformer),
            validateMs: msPerReview(before, after, WEBHOOK_PATHS.validatePerformer),
          });
        }
        millis.sort((a, b) => a - b);
        batches.push({
          namespaceSize: size,
          webhooks,
          p50Ms: percentile(millis, 0.5),
          p99Ms: percentile(millis, 0.99),
        });
        await removeMeasured(custom, namespace, size);
      }
    }
  }
  await setWebhooks(true);

  const summary: AdmissionApiserverResult["summary"] = {};
  for (const size of SIZES) {
    const pick = (on: boolean): Latencies => {
      const of = batches.filter((b) => b.namespaceSize === size && b.webhooks === on);
      return { p50Ms: median(of.map((b) => b.p50Ms)), p99Ms: median(of.map((b) => b.p99Ms)) };
    };
    const mine = reviews.filter((r) => r.size === size);
    summary[size] = {
      on: pick(true),
      off: pick(false),
      mutateMs: median(mine.map((r) => r.mutateMs)),
      validateMs: median(mine.map((r) => r.validateMs)),
    };
  }
  const [small, large] = SIZES.map((s) => summary[s]!);
  return {
    createsPerBatch,
    batches,
    summary,
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
      `${rounds} rounds of ${createsPerBatch} Performer creates per namespace and mode, one client, one create at a time, through kube-apiserver; webhooks off = no webhook configuration registered; figures are medians over rounds`,
      ...SIZES.map((size) => {
        const s = summary[size]!;
        return `${size} Performers in the namespace (${AVS_COUNT} AVSs, an executor config): webhooks on p50 ${s.on.p50Ms.toFixed(1)} ms, p99 ${s.on.p99Ms.toFixed(1)} ms; off p50 ${s.off.p50Ms.toFixed(1)} ms, p99 ${s.off.p99Ms.toFixed(1)} ms; inside the operator per review: /mutate-performer ${s.mutateMs.toFixed(2)} ms, /validate-performer ${s.validateMs.toFixed(2)} ms`;
      }),
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
 * The apiserver picks up a webhook configuration change through its own informer: create probes until one shows
 * the webhooks' defaults (the AVS label) exactly when they should be on.
 */
async function settleWebhooks(
  custom: CustomObjectsApi,
  namespace: string,
  on: boolean,
  serial: number,
): Promise<void> {
  await until(
    `webhooks ${on ? "on" : "off"}`,
    async () => {
      const name = `probe-${serial}-${Math.floor(performance.now())}`;
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
  // A second's quiet after the switch, so that the apiserver's own reaction to it is not measured.
  await sleep(1000);
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
