// Reconcile at scale on the local control plane: N Performers created at once, timed until every one has its Pod,
// its Service and a status naming both, against a client that creates the same N Pods and N Services itself.
// Also the controller's peak RSS and CPU time, and its API writes per Performer and per resync, as the apiserver
// counts them. No webhooks are registered: this measures the controller, not admission.
import { mkdtemp } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../controllers/performer-cluster.ts";
import { performerPod } from "../controllers/performer-pod.ts";
import { performerService } from "../controllers/performer-service.ts";
import { performerStatus } from "../controllers/performer-status.ts";
import {
  LABEL_PERFORMER,
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
  startControlPlane,
} from "../test/controlplane/controlplane.ts";
import { kubectlAt } from "../test/controlplane/install.ts";
import { startNodeProcess, type TestProcess } from "../test/support/grpc-processes.ts";
import { readWriteCounts, total, writesBetween } from "./apiserver-writes.ts";
import { atMost, type Check } from "./checks.ts";
import { busyPercent, machineCpu, type ProcessUsage, processUsage } from "./process-usage.ts";

const ROOT = join(import.meta.dirname, "..");
/** In-flight create requests of either client. */
const CLIENT_CONCURRENCY = 16;
const RESYNC_MS = 20_000;
const COMPLETION_TIMEOUT_MS = 240_000;

export interface ReconcileResult {
  performers: number;
  baselineSeconds: number;
  operatorSeconds: number;
  /** The controller's writes and the Performer creates made by one client, no controller: see floorSeconds. */
  floorSeconds: number;
  /** How busy the machine's cores were during the baseline and during the controller's run, in percent. */
  machineBusyPercent: { baseline: number; operator: number };
  operator: ProcessUsage;
  writesUntilSteady: Record<string, number>;
  writesPerResync: Record<string, number>;
  reconcilesInResync: number;
  checks: Check[];
  notes: string[];
}

function performer(namespace: string, i: number): Performer {
  return {
    apiVersion: PERFORMER_API_VERSION,
    kind: PERFORMER_KIND,
    metadata: { name: `bench-${i}`, namespace },
    spec: {
      avsAddress: `0x${i.toString(16).padStart(40, "0")}`,
      image: "registry.example/avs/performer",
      version: "v1.0.0",
    },
  };
}

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  // Pods are refused until the service-account controller has made the namespace's default account.
  await until(
    `namespace ${name}`,
    () => core.readNamespacedServiceAccount({ name: "default", namespace: name }),
    60_000,
  );
}

/**
 * Resolves once every Performer in `namespace` (of `count`) has a status naming its Pod and Service: the controller
 * writes that only after both exist. A watch, not polling, so that the observer adds no load of its own.
 */
async function allReconciled(kc: KubeConfig, namespace: string, count: number): Promise<void> {
  const done = new Set<string>();
  let abort: AbortController | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${done.size} of ${count} Performers reconciled after ${COMPLETION_TIMEOUT_MS / 1000} s`),
        ),
      COMPLETION_TIMEOUT_MS,
    );
    new Watch(kc)
      .watch(
        `/apis/${PERFORMER_GROUP}/${PERFORMER_VERSION}/namespaces/${namespace}/${PERFORMER_PLURAL}`,
        {},
        (_type, object: Performer) => {
          if (object.status?.podName && object.status.serviceName) done.add(object.metadata.name!);
          if (done.size === count) {
            clearTimeout(timer);
            resolve();
          }
        },
        (err) => {
          if (done.size < count) reject(err ?? new Error("the Performer watch ended early"));
        },
      )
      .then((controller) => {
        abort = controller;
      }, reject);
  }).finally(() => abort?.abort());
}

/** The controller's reconcile count so far, from its /metrics. */
async function reconciles(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return [...text.matchAll(/^hourglass_reconcile_total\{.*\} (\S+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

/** Waits until the reconcile count has not moved for `quietMs`, and returns it. */
async function settled(metricsPort: number, quietMs: number): Promise<number> {
  let last = await reconciles(metricsPort);
  for (;;) {
    await sleep(quietMs);
    const now = await reconciles(metricsPort);
    if (now === last) return now;
    last = now;
  }
}

/**
 * The floor under any controller here: one client making, per Performer, exactly the writes the benchmark's
 * subject makes (create the Performer, its Pod and Service, write its status), with no controller, watch or
 * cache in the way. The apiserver and the controller share this machine's cores, so the gap between this and the
 * baseline is what the extra writes cost the apiserver, and the gap between the controller and this is the
 * controller's own.
 */
async function floorSeconds(kc: KubeConfig, namespace: string, count: number): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const group = { group: PERFORMER_GROUP, version: PERFORMER_VERSION, plural: PERFORMER_PLURAL, namespace };
  const started = performance.now();
  await inParallel(
    Array.from({ length: count }, (_, i) => performer(namespace, i)),
    CLIENT_CONCURRENCY,
    async (body) => {
      const created = (await custom.createNamespacedCustomObject({ ...group, body })) as Performer;
      const pod = await core.createNamespacedPod({ namespace, body: performerPod(created) });
      const service = await core.createNamespacedService({ namespace, body: performerService(created) });
      const status = performerStatus(created, { pod, service }, new Date());
      await custom.patchNamespacedCustomObjectStatus(
        { ...group, name: created.metadata.name!, body: { status } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    },
  );
  return (performance.now() - started) / 1000;
}

async function baselineSeconds(kc: KubeConfig, namespace: string, count: number): Promise<number> {
  const core = kc.makeApiClient(CoreV1Api);
  // The operator's own Pod and Service for each Performer, without the owner reference (no owner exists here)
  // and under another label key, so that the controller's informers never see them.
  const unowned = <T extends { metadata?: { labels?: Record<string, string>; ownerReferences?: unknown } }>(
    o: T,
  ): T => {
    const { [LABEL_PERFORMER]: name, ...labels } = o.metadata?.labels ?? {};
    return {
      ...o,
      metadata: {
        ...o.metadata,
        ownerReferences: undefined,
        labels: { ...labels, "bench.hourglass.eigenlayer.io/name": name ?? "" },
      },
    };
  };
  const items = Array.from({ length: count }, (_, i) => {
    const p = { ...performer(namespace, i), metadata: { name: `bench-${i}`, namespace, uid: `bench-${i}` } };
    return { pod: unowned(performerPod(p)), service: unowned(performerService(p)) };
  });
  const started = performance.now();
  await inParallel(items, CLIENT_CONCURRENCY, async ({ pod, service }) => {
    await core.createNamespacedPod({ namespace, body: pod });
    await core.createNamespacedService({ namespace, body: service });
  });
  return (performance.now() - started) / 1000;
}

/**
 * The local control plane's Service range (a /24) holds fewer ClusterIPs than 2 N Services need; an extra
 * ServiceCIDR (networking.k8s.io/v1) widens it without restarting the apiserver.
 */
async function widenServiceRange(cp: ControlPlane): Promise<void> {
  const serviceCidr = {
    apiVersion: "networking.k8s.io/v1",
    kind: "ServiceCIDR",
    metadata: { name: "bench" },
    spec: { cidrs: ["10.96.0.0/20"] },
  };
  // The apiserver's allocator takes it from its informer; its Ready condition would come from a controller the
  // local controller manager does not run.
  await kubectlAt(cp, ["apply", "-f", "-"], JSON.stringify(serviceCidr));
}

async function startController(cp: ControlPlane): Promise<{ proc: TestProcess; metricsPort: number }> {
  const proc = startNodeProcess([
    join(ROOT, "bench", "reconcile-operator.ts"),
    `--kubeconfig=${cp.kubeconfigPath}`,
    `--resync-ms=${RESYNC_MS}`,
  ]);
  const ready = await proc.waitForLog((l) => l.msg === "controller ready");
  return { proc, metricsPort: ready.metricsPort as number };
}

export async function reconcileBenchmark(count: number): Promise<ReconcileResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-reconcile-"));
  const cp = await startControlPlane(dir);
  let controller: Awaited<ReturnType<typeof startController>> | undefined;
  try {
    await kubectlAt(cp, ["apply", "--server-side", "-k", join(ROOT, "config", "crd")]);
    await kubectlAt(cp, [
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      `crd/${PERFORMER_PLURAL}.${PERFORMER_GROUP}`,
    ]);
    await widenServiceRange(cp);
    // Every client here, the controller's included, keeps one connection to the apiserver.
    const kc = new PooledKubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const ns of ["bench-baseline", "bench-operator", "bench-floor"]) await createNamespace(core, ns);

    const baselineCpu = machineCpu();
    const baseline = await baselineSeconds(kc, "bench-baseline", count);
    const baselineBusy = busyPercent(baselineCpu, machineCpu());

    controller = await startController(cp);
    const before = await readWriteCounts(cp.server, cp.pki);
    const operatorCpu = machineCpu();
    const started = performance.now();
    const reconciled = allReconciled(kc, "bench-operator", count);
    await inParallel(
      Array.from({ length: count }, (_, i) => performer("bench-operator", i)),
      CLIENT_CONCURRENCY,
      (body) =>
        custom.createNamespacedCustomObject({
          group: PERFORMER_GROUP,
          version: PERFORMER_VERSION,
          namespace: "bench-operator",
          plural: PERFORMER_PLURAL,
          body,
        }),
    );
    await reconciled;
    const operatorSeconds = (performance.now() - started) / 1000;
    const operatorBusy = busyPercent(operatorCpu, machineCpu());

    const steadyReconciles = await settled(controller.metricsPort, 3_000);
    const steady = await readWriteCounts(cp.server, cp.pki);
    // The client's own creates are not the controller's writes.
    const { [`POST ${PERFORMER_PLURAL}`]: created, ...writesUntilSteady } = writesBetween(before, steady);
    if (created !== count)
      throw new Error(`expected ${count} Performer creates, the apiserver counted ${created}`);

    // A resync hands every cached Performer to the reconciler again; wait for one full pass to finish.
    await until(
      "a resync of every Performer",
      async () =>
        (await reconciles(controller!.metricsPort)) >= steadyReconciles + count ? true : undefined,
      RESYNC_MS * 3,
    );
    const afterResync = await settled(controller.metricsPort, 3_000);
    const writesPerResync = writesBetween(steady, await readWriteCounts(cp.server, cp.pki));
    const usage = processUsage(controller.proc.child.pid!);
    // Stopped first: its informers would pick up the floor's Performers and reconcile them.
    await controller.proc.stop();
    controller = undefined;
    const floor = await floorSeconds(kc, "bench-floor", count);

    // The apiserver counts every component's Events together; which were the controller's is in the Events.
    const childWrites = Object.fromEntries(
      Object.entries(writesUntilSteady).filter(([key]) => !key.endsWith(" events")),
    );
    const recorded = (await core.listNamespacedEvent({ namespace: "bench-operator" })).items;
    const ours = recorded.filter((e) => e.reportingComponent === FIELD_MANAGER);
    const perPerformer = (total(childWrites) + ours.length) / count;
    const eventReasons = Object.entries(
      Object.groupBy(recorded, (e) => `${e.reportingComponent || e.source?.component} ${e.reason}`),
    ).map(([key, list]) => `${key} x${list!.length}`);
    return {
      performers: count,
      baselineSeconds: baseline,
      operatorSeconds,
      floorSeconds: floor,
      machineBusyPercent: { baseline: baselineBusy, operator: operatorBusy },
      operator: usage,
      writesUntilSteady,
      writesPerResync,
      reconcilesInResync: afterResync - steadyReconciles,
      checks: [
        atMost("reconcile", `${count} Performers: time / baseline`, operatorSeconds / baseline, 1.5),
        atMost("reconcile", "API writes per Performer", perPerformer, 3),
        atMost(
          "reconcile",
          "API writes per Performer, Events left out",
          perPerformer - ours.length / count,
          3,
        ),
        atMost("reconcile", "API writes per resync", total(writesPerResync), 0),
      ],
      notes: [
        `${count} Performers reconciled in ${operatorSeconds.toFixed(1)} s by the controller with its default 2 workers, no webhooks registered; the baseline created ${count} Pods and ${count} Services in ${baseline.toFixed(1)} s (both clients ${CLIENT_CONCURRENCY} requests in flight)`,
        `the same writes from one client with no controller (create each Performer, its Pod and Service, write its status; run last, the controller stopped) took ${floor.toFixed(1)} s = ${(floor / baseline).toFixed(2)} x baseline: the least any controller could take here, since the apiserver, etcd and the controller share the machine's ${cpus().length} cores (busy ${baselineBusy.toFixed(0)}% during the baseline, ${operatorBusy.toFixed(0)}% during the controller's run); controller time / floor = ${(operatorSeconds / floor).toFixed(2)}`,
        `controller: peak RSS ${usage.peakRssMiB.toFixed(0)} MiB, ${usage.cpuSeconds.toFixed(1)} CPU seconds over its whole run (start, reconcile, one resync)`,
        `writes until steady: ${JSON.stringify(writesUntilSteady)}; Events in the Performers' namespace: ${eventReasons.join(", ") || "none"}; in one resync (${afterResync - steadyReconciles} reconciles): ${JSON.stringify(writesPerResync)}`,
      ],
    };
  } finally {
    await controller?.proc.stop();
    await destroyControlPlane(dir);
  }
}
