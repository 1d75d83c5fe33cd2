// Reconcile at scale on the local control plane: N Performers created at once, timed until every one has its Pod,
// its Service and a status naming both, against a client that creates the same N Pods and N Services itself.
// Also what kube-apiserver and etcd spent on each (CPU seconds), the controller's peak RSS and CPU time, and its API
// writes per Performer and per resync, as the apiserver counts them. No webhooks are registered: this measures
// the controller, not admission.
import { mkdtemp } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi, type KubeConfig, Watch } from "@kubernetes/client-node";
import { DEFAULT_WORKERS } from "../controllers/manager.ts";
import { FIELD_MANAGER } from "../controllers/performer-cluster.ts";
import { performerPod } from "../controllers/performer-pod.ts";
import { performerService } from "../controllers/performer-service.ts";
import {
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
  controlPlanePids,
  destroyControlPlane,
  startControlPlane,
} from "../test/controlplane/controlplane.ts";
import { installCrd } from "../test/controlplane/install.ts";
import { startNodeProcess, type TestProcess } from "../test/support/grpc-processes.ts";
import { readWriteCounts, total, writesBetween } from "./apiserver-writes.ts";
import { atMost, type Check } from "./checks.ts";
import { median } from "./load-stats.ts";
import { busyPercent, machineCpu, type ProcessUsage, processUsage } from "./process-usage.ts";

const ROOT = join(import.meta.dirname, "..");
/** In-flight create requests of either client. */
const CLIENT_CONCURRENCY = 16;
const RESYNC_MS = 20_000;
const COMPLETION_TIMEOUT_MS = 240_000;
const NAMESPACE = "bench";

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

/** The apiserver's own limit: the same Pods and Services (without an owner to point to), created directly. */
async function baseline(kc: KubeConfig, count: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = NAMESPACE;
  const items = Array.from({ length: count }, (_, i) => {
    const p = { ...performer(namespace, i), metadata: { name: `bench-${i}`, namespace, uid: `bench-${i}` } };
    const unowned = <T extends { metadata?: object }>(o: T): T => ({
      ...o,
      metadata: { ...o.metadata, ownerReferences: undefined },
    });
    return { pod: unowned(performerPod(p)), service: unowned(performerService(p)) };
  });
  await inParallel(items, CLIENT_CONCURRENCY, async ({ pod, service }) => {
    await core.createNamespacedPod({ namespace, body: pod });
    await core.createNamespacedService({ namespace, body: service });
  });
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

/**
 * How long a phase took; how busy the machine's cores were meanwhile (near 100%: the machine was the limit); and
 * the CPU seconds kube-apiserver and etcd spent on it: the cluster's side of the work, whoever asked for it.
 */
interface Phase {
  seconds: number;
  busyPercent: number;
  apiserverEtcdCpuSeconds: number;
}

async function timed(cp: ControlPlane, work: () => Promise<unknown>): Promise<Phase> {
  const pids = controlPlanePids(cp.dir);
  const serverCpu = () =>
    processUsage(pids["kube-apiserver"]!).cpuSeconds + processUsage(pids.etcd!).cpuSeconds;
  const cpu = machineCpu();
  const server = serverCpu();
  const started = performance.now();
  await work();
  return {
    seconds: (performance.now() - started) / 1000,
    busyPercent: busyPercent(cpu, machineCpu()),
    apiserverEtcdCpuSeconds: serverCpu() - server,
  };
}

interface ControllerPhase extends Phase {
  usage: ProcessUsage;
  /** The controller's API writes until nothing more happened: Pods, Services, statuses and its own Events. */
  writesPerPerformer: number;
  eventsPerPerformer: number;
  writesUntilSteady: Record<string, number>;
  eventReasons: string[];
  resync?: { reconciles: number; writes: Record<string, number> };
}

/** The subject: the controller, and a client creating the Performers. With `resync`, one resync is watched too. */
async function controllerPhase(
  cp: ControlPlane,
  kc: KubeConfig,
  count: number,
  resync: boolean,
): Promise<ControllerPhase> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const controller = await startController(cp);
  try {
    const before = await readWriteCounts(cp.server, cp.pki);
    const phase = await timed(cp, async () => {
      const reconciled = allReconciled(kc, NAMESPACE, count);
      await inParallel(
        Array.from({ length: count }, (_, i) => performer(NAMESPACE, i)),
        CLIENT_CONCURRENCY,
        (body) =>
          custom.createNamespacedCustomObject({
            group: PERFORMER_GROUP,
            version: PERFORMER_VERSION,
            namespace: NAMESPACE,
            plural: PERFORMER_PLURAL,
            body,
          }),
      );
      await reconciled;
    });
    const steadyReconciles = await settled(controller.metricsPort, 3_000);
    const steady = await readWriteCounts(cp.server, cp.pki);
    // The client's own creates are not the controller's writes.
    const { [`POST ${PERFORMER_PLURAL}`]: created, ...writesUntilSteady } = writesBetween(before, steady);
    if (created !== count)
      throw new Error(`expected ${count} Performer creates, the apiserver counted ${created}`);
    // The apiserver counts every component's Events together; which were the controller's is in the Events.
    const childWrites = Object.fromEntries(
      Object.entries(writesUntilSteady).filter(([key]) => !key.endsWith(" events")),
    );
    const recorded = (await core.listNamespacedEvent({ namespace: NAMESPACE })).items;
    const ours = recorded.filter((e) => e.reportingComponent === FIELD_MANAGER).length;
    const eventReasons = Object.entries(
      Object.groupBy(recorded, (e) => `${e.reportingComponent || e.source?.component} ${e.reason}`),
    ).map(([key, list]) => `${key} x${list!.length}`);

    let resyncResult: ControllerPhase["resync"];
    if (resync) {
      // A resync hands every cached Performer to the reconciler again; wait for one full pass to finish.
      await until(
        "a resync of every Performer",
        async () =>
          (await reconciles(controller.metricsPort)) >= steadyReconciles + count ? true : undefined,
        RESYNC_MS * 3,
      );
      const afterResync = await settled(controller.metricsPort, 3_000);
      resyncResult = {
        reconciles: afterResync - steadyReconciles,
        writes: writesBetween(steady, await readWriteCounts(cp.server, cp.pki)),
      };
    }
    return {
      ...phase,
      usage: processUsage(controller.proc.child.pid!),
      writesPerPerformer: (total(childWrites) + ours) / count,
      eventsPerPerformer: ours / count,
      writesUntilSteady,
      eventReasons,
      resync: resyncResult,
    };
  } finally {
    await controller.proc.stop();
  }
}

/** A fresh control plane with the CRD and the benchmark's namespace, so that every phase starts from the same state. */
async function onFreshControlPlane<T>(run: (cp: ControlPlane, kc: KubeConfig) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bench-reconcile-"));
  const cp = await startControlPlane(dir);
  try {
    await installCrd(cp);
    // Every client here, the controller's included, keeps one connection to the apiserver.
    const kc = new PooledKubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await createNamespace(kc.makeApiClient(CoreV1Api), NAMESPACE);
    return await run(cp, kc);
  } finally {
    await destroyControlPlane(dir);
  }
}

interface Round {
  baseline: Phase;
  controller: ControllerPhase;
}

export interface ReconcileResult {
  performers: number;
  rounds: Round[];
  /** Medians over rounds, controller phase / baseline: of the time, and of kube-apiserver + etcd CPU seconds. */
  ratios: { time: number; apiserverEtcdCpu: number };
  checks: Check[];
  notes: string[];
}

export async function reconcileBenchmark(count: number, roundCount: number): Promise<ReconcileResult> {
  const rounds: Round[] = [];
  for (let r = 0; r < roundCount; r++) {
    const round: Partial<Round> = {};
    const phases = [
      async () => {
        round.baseline = await onFreshControlPlane((cp, kc) => timed(cp, () => baseline(kc, count)));
      },
      async () => {
        round.controller = await onFreshControlPlane((cp, kc) => controllerPhase(cp, kc, count, r === 0));
      },
    ];
    // Each round starts with another phase, so that none always meets the machine warmer or busier.
    for (let i = 0; i < phases.length; i++) await phases[(i + r) % phases.length]!();
    rounds.push(round as Round);
  }
  const ratio = (of: (p: Phase) => number) => median(rounds.map((r) => of(r.controller) / of(r.baseline)));
  const ratios = { time: ratio((p) => p.seconds), apiserverEtcdCpu: ratio((p) => p.apiserverEtcdCpuSeconds) };
  const first = rounds[0]!.controller;
  const writes = Math.max(...rounds.map((r) => r.controller.writesPerPerformer));
  const events = Math.max(...rounds.map((r) => r.controller.eventsPerPerformer));
  const phases = (pick: (r: Round) => Phase) =>
    rounds
      .map((r) => {
        const p = pick(r);
        return `${p.seconds.toFixed(1)} s (${p.busyPercent.toFixed(0)}% busy, apiserver + etcd ${p.apiserverEtcdCpuSeconds.toFixed(1)} CPU s)`;
      })
      .join("; ");
  return {
    performers: count,
    rounds,
    ratios,
    checks: [
      atMost("reconcile", `${count} Performers: time / baseline`, ratios.time, 1.5),
      atMost("reconcile", "API writes per Performer", writes, 3),
      atMost("reconcile", "API writes per Performer, Events left out", writes - events, 3),
      atMost("reconcile", "API writes per resync", total(first.resync!.writes), 0),
    ],
    notes: [
      `${roundCount} rounds, each phase on a fresh control plane, the phase that goes first alternating; ratios are medians of per-round ratios; "busy" is how busy the machine's ${cpus().length} cores were`,
      `controller (${DEFAULT_WORKERS} workers, no webhooks; a client creates the ${count} Performers, ${CLIENT_CONCURRENCY} in flight, until every status names its Pod and Service): ${phases((r) => r.controller)}`,
      `baseline (${count} Pods and ${count} Services created directly, ${CLIENT_CONCURRENCY} in flight): ${phases((r) => r.baseline)}`,
      `kube-apiserver + etcd CPU, controller phase / baseline: ${ratios.apiserverEtcdCpu.toFixed(2)}: the cluster's own work for ${count} Performer creates, ${count} Pods, ${count} Services and ${count} status writes, against ${count} Pods and ${count} Services; with every core busy, the time ratio cannot fall much below it, however little the controller itself costs`,
      `controller, round 1: peak RSS ${first.usage.peakRssMiB.toFixed(0)} MiB, ${first.usage.cpuSeconds.toFixed(1)} CPU seconds over its whole run (start, reconcile, one resync)`,
      `writes until steady, round 1: ${JSON.stringify(first.writesUntilSteady)}; Events in the Performers' namespace: ${first.eventReasons.join(", ") || "none"}; in one resync (${first.resync!.reconciles} reconciles): ${JSON.stringify(first.resync!.writes)}`,
    ],
  };
}
