// Reconcile at scale on the local control plane: N Performers created at once, timed until every one has its Pod,
// its Service and a status naming both, against a client that creates the same N Pods and N Services itself.
// Also what kube-apiserver and etcd spent on each (CPU seconds), the controller's peak RSS and CPU time, and its API
// writes per Performer and per resync, as the apiserver counts them. No webhooks are registered: this measures
// the controller, not admission.
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
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
import { OPERATOR_NODE_FLAGS, OPERATOR_NODE_OPTIONS } from "../src/cli/operator-node-options.ts";
import { PooledKubeConfig } from "../src/kube/kubeconfig.ts";
import { cacheDir } from "../test/controlplane/binaries.ts";
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
import { beforeDeadline, createNamespace, inParallel, until } from "./cluster-steps.ts";
import { median } from "./load-stats.ts";
import { busyPercent, machineCpu, type ProcessUsage, processUsage } from "./process-usage.ts";

const ROOT = join(import.meta.dirname, "..");
/** In-flight create requests of either client. */
const CLIENT_CONCURRENCY = 16;
/** The periodic resync stays out of the measurement: the benchmark starts the one it measures itself. */
const RESYNC_MS = 3_600_000;
/** How long N Performers may take to converge: generous, so that a busy machine is measured rather than failed. */
const completionTimeoutMs = (count: number) => Math.max(240_000, count * 200);
/** No deadline: make bench runs its rounds to the end. make bench-scale passes the end of its time budget. */
const NO_DEADLINE = Number.POSITIVE_INFINITY;
/** How long a wait for `count` Performers may last before `deadline` (ms since the epoch). */
const waitMs = (count: number, deadline: number) =>
  Math.max(0, Math.min(completionTimeoutMs(count), deadline - Date.now()));
const NAMESPACE = "bench";

/** Where a run's wall time went, step by step: make bench-scale prints it, so that what does not fit its budget
 * says why (a control plane's start, the creates, the waits for quiet). */
interface Step {
  what: string;
  seconds: number;
}
let timeline: Step[] = [];

/** `work`, its wall time recorded in the timeline under `what`. */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timeline.push({ what, seconds: (performance.now() - started) / 1000 });
  }
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

/**
 * Resolves once every Performer in `namespace` (of `count`) has a status naming its Pod and Service: the controller
 * writes that only after both exist. A watch, not polling, so that the observer adds no load of its own.
 */
async function allReconciled(
  kc: KubeConfig,
  namespace: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const done = new Set<string>();
  let abort: AbortController | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${done.size} of ${count} Performers reconciled after ${(timeoutMs / 1000).toFixed(0)} s`,
          ),
        ),
      timeoutMs,
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

/** Waits until the reconcile count has not moved for `quietMs`, and returns it; throws once `deadline` passed. */
async function settled(metricsPort: number, quietMs: number, deadline: number): Promise<number> {
  let last = await reconciles(metricsPort);
  for (;;) {
    await sleep(quietMs);
    const now = await reconciles(metricsPort);
    if (now === last) return now;
    if (Date.now() > deadline) throw new Error("reconciles still going at the deadline");
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

const run = promisify(execFile);
const CONTROLLER_ENTRY = join(ROOT, "bench", "reconcile-operator.ts");
/** The controller runs as the image runs the operator, with Node's compile cache filled before it starts
 * (test/controlplane/node-images.ts): no type stripping, and no stripper in its RSS. Entries are keyed by their
 * source's content, so the cache outlives a run safely. */
const CONTROLLER_ENV = {
  NODE_OPTIONS: OPERATOR_NODE_OPTIONS,
  NODE_COMPILE_CACHE: join(cacheDir(), "node-compile-cache"),
};
let compileCacheFilled: Promise<unknown> | undefined;

async function startController(cp: ControlPlane): Promise<{ proc: TestProcess; metricsPort: number }> {
  compileCacheFilled ??= run(process.execPath, [...OPERATOR_NODE_FLAGS, CONTROLLER_ENTRY, "--help"], {
    env: { ...process.env, ...CONTROLLER_ENV },
  });
  await compileCacheFilled;
  // BENCH_CPU_PROF_DIR: a V8 CPU profile of each controller run, written there when it stops.
  const profile = process.env.BENCH_CPU_PROF_DIR;
  const proc = startNodeProcess(
    [
      ...OPERATOR_NODE_FLAGS,
      ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []),
      CONTROLLER_ENTRY,
      `--kubeconfig=${cp.kubeconfigPath}`,
      `--resync-ms=${RESYNC_MS}`,
    ],
    CONTROLLER_ENV,
  );
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

async function timed(cp: ControlPlane, work: () => Promise<unknown>, deadline: number): Promise<Phase> {
  const pids = controlPlanePids(cp.dir);
  const serverCpu = () =>
    processUsage(pids["kube-apiserver"]!).cpuSeconds + processUsage(pids.etcd!).cpuSeconds;
  const cpu = machineCpu();
  const server = serverCpu();
  const started = performance.now();
  await beforeDeadline(work(), deadline);
  return {
    seconds: (performance.now() - started) / 1000,
    busyPercent: busyPercent(cpu, machineCpu()),
    apiserverEtcdCpuSeconds: serverCpu() - server,
  };
}

/** One resync of every Performer once all have converged: what it cost the controller and the cluster. */
interface Resync {
  reconciles: number;
  writes: Record<string, number>;
  controllerCpuSeconds: number;
}

interface ControllerPhase extends Phase {
  usage: ProcessUsage;
  /** The controller's API writes until nothing more happened: Pods, Services, statuses and its own Events. */
  writesPerPerformer: number;
  eventsPerPerformer: number;
  writesUntilSteady: Record<string, number>;
  eventReasons: string[];
  resync: Resync;
  /** A second controller started once all had converged: it lists every Performer, Pod and Service at once. */
  restart?: { usage: ProcessUsage; seconds: number; writes: Record<string, number> };
}

/** The subject: the controller, and a client creating the Performers; then one resync, and, with `restart`, a
 * restart of the controller over the converged state. */
async function controllerPhase(
  cp: ControlPlane,
  kc: KubeConfig,
  count: number,
  restart: boolean,
  deadline: number,
): Promise<ControllerPhase> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const controller = await step(`${count}: controller started`, () => startController(cp));
  let result: Omit<ControllerPhase, "restart">;
  try {
    const before = await readWriteCounts(cp.server, cp.pki);
    const phase = await step(`${count}: Performers created and reconciled`, () =>
      timed(
        cp,
        // Together, so that the watch timing out while creates are still going is this phase's failure at once.
        () =>
          Promise.all([
            allReconciled(kc, NAMESPACE, count, waitMs(count, deadline)),
            inParallel(
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
            ),
          ]),
        deadline,
      ),
    );
    const steadyReconciles = await step(`${count}: reconciles settled`, () =>
      settled(controller.metricsPort, 3_000, deadline),
    );
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

    // A resync hands every cached Performer to the reconciler again; wait for one full pass to finish.
    const cpuBefore = processUsage(controller.proc.child.pid!).cpuSeconds;
    controller.proc.child.kill("SIGUSR2");
    const afterResync = await step(`${count}: one resync, until settled`, async () => {
      await until(
        "a resync of every Performer",
        async () =>
          (await reconciles(controller.metricsPort)) >= steadyReconciles + count ? true : undefined,
        waitMs(count, deadline),
      );
      return settled(controller.metricsPort, 3_000, deadline);
    });
    const resync = {
      reconciles: afterResync - steadyReconciles,
      writes: writesBetween(steady, await readWriteCounts(cp.server, cp.pki)),
      controllerCpuSeconds: processUsage(controller.proc.child.pid!).cpuSeconds - cpuBefore,
    };
    result = {
      ...phase,
      usage: processUsage(controller.proc.child.pid!),
      writesPerPerformer: (total(childWrites) + ours) / count,
      eventsPerPerformer: ours / count,
      writesUntilSteady,
      eventReasons,
      resync,
    };
  } finally {
    await step(`${count}: controller stopped`, () => controller.proc.stop());
  }
  if (!restart) return result;
  const beforeRestart = await readWriteCounts(cp.server, cp.pki);
  const started = performance.now();
  const again = await startController(cp);
  try {
    // Ready once listed; every Performer is then reconciled once (and finds nothing to do).
    await step(`${count}: controller restarted, until settled`, async () => {
      await until(
        "a reconcile of every Performer after the restart",
        async () => ((await reconciles(again.metricsPort)) >= count ? true : undefined),
        waitMs(count, deadline),
      );
      await settled(again.metricsPort, 3_000, deadline);
    });
    return {
      ...result,
      restart: {
        usage: processUsage(again.proc.child.pid!),
        seconds: (performance.now() - started) / 1000,
        writes: writesBetween(beforeRestart, await readWriteCounts(cp.server, cp.pki)),
      },
    };
  } finally {
    await again.proc.stop();
  }
}

/** A fresh control plane with the CRD and the benchmark's namespace, so that every phase starts from the same state. */
async function onFreshControlPlane<T>(
  what: string,
  run: (cp: ControlPlane, kc: KubeConfig) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bench-reconcile-"));
  const cp = await step(`${what}: control plane started`, () => startControlPlane(dir));
  try {
    // Every client here, the controller's included, keeps one connection to the apiserver.
    const kc = new PooledKubeConfig();
    await step(`${what}: CRD and namespace`, async () => {
      await installCrd(cp);
      kc.loadFromFile(cp.kubeconfigPath);
      await createNamespace(kc.makeApiClient(CoreV1Api), NAMESPACE);
    });
    return await run(cp, kc);
  } finally {
    await step(`${what}: control plane torn down`, () => destroyControlPlane(dir));
  }
}

interface Round {
  /** Absent where make bench-scale needs none (a size between the smallest and the largest). */
  baseline?: Phase;
  controller: ControllerPhase;
}

/** `roundCount` rounds at `count`: each phase on a fresh control plane, the phase that goes first alternating. */
async function measureRounds(
  count: number,
  roundCount: number,
  restart: boolean,
  deadline = NO_DEADLINE,
  withBaseline = true,
): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let r = 0; r < roundCount; r++) {
    const round: Partial<Round> = {};
    const phases = [
      async () => {
        round.baseline = await onFreshControlPlane(`${count} baseline`, (cp, kc) =>
          step(`${count}: Pods and Services created directly`, () =>
            timed(cp, () => baseline(kc, count), deadline),
          ),
        );
      },
      async () => {
        round.controller = await onFreshControlPlane(`${count} controller`, (cp, kc) =>
          controllerPhase(cp, kc, count, restart && r === 0, deadline),
        );
      },
    ].slice(withBaseline ? 0 : 1);
    // Each round starts with another phase, so that none always meets the machine warmer or busier.
    for (let i = 0; i < phases.length; i++) await phases[(i + r) % phases.length]!();
    rounds.push(round as Round);
  }
  return rounds;
}

const timeRatio = (rounds: readonly Round[]) =>
  median(rounds.map((r) => r.controller.seconds / (r.baseline?.seconds ?? Number.NaN)));

function phaseText(p: Phase): string {
  return `${p.seconds.toFixed(1)} s (${p.busyPercent.toFixed(0)}% busy, apiserver + etcd ${p.apiserverEtcdCpuSeconds.toFixed(1)} CPU s)`;
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
  const rounds = await measureRounds(count, roundCount, false);
  const ratio = (of: (p: Phase) => number) => median(rounds.map((r) => of(r.controller) / of(r.baseline!)));
  const ratios = { time: timeRatio(rounds), apiserverEtcdCpu: ratio((p) => p.apiserverEtcdCpuSeconds) };
  const first = rounds[0]!.controller;
  const writes = Math.max(...rounds.map((r) => r.controller.writesPerPerformer));
  const events = Math.max(...rounds.map((r) => r.controller.eventsPerPerformer));
  const peakRss = Math.max(...rounds.map((r) => r.controller.usage.peakRssMiB));
  const phases = (pick: (r: Round) => Phase) => rounds.map((r) => phaseText(pick(r))).join("; ");
  return {
    performers: count,
    rounds,
    ratios,
    checks: [
      atMost("reconcile", `${count} Performers: time / baseline`, ratios.time, 1.5),
      // The CreatedPod Event (the guide's kubectl get events shows it) is counted apart, as in make bench-scale.
      atMost("reconcile", "API writes per Performer, Events left out", writes - events, 3),
      atMost("reconcile", "Events per Performer", events, 1),
      atMost("reconcile", "API writes per resync", total(first.resync.writes), 0),
      atMost("reconcile", `controller peak RSS with ${count} Performers (MiB)`, peakRss, 150),
    ],
    notes: [
      `${roundCount} rounds, each phase on a fresh control plane, the phase that goes first alternating; ratios are medians of per-round ratios; "busy" is how busy the machine's ${cpus().length} cores were`,
      `controller (${DEFAULT_WORKERS} workers, no webhooks; a client creates the ${count} Performers, ${CLIENT_CONCURRENCY} in flight, until every status names its Pod and Service): ${phases((r) => r.controller)}`,
      `baseline (${count} Pods and ${count} Services created directly, ${CLIENT_CONCURRENCY} in flight): ${phases((r) => r.baseline!)}`,
      `kube-apiserver + etcd CPU, controller phase / baseline: ${ratios.apiserverEtcdCpu.toFixed(2)}: the cluster's own work for ${count} Performer creates, ${count} Pods, ${count} Services and ${count} status writes, against ${count} Pods and ${count} Services; with every core busy, the time ratio cannot fall much below it, however little the controller itself costs`,
      `controller peak RSS by round: ${rounds.map((r) => r.controller.usage.peakRssMiB.toFixed(0)).join(", ")} MiB; round 1: ${first.usage.cpuSeconds.toFixed(1)} CPU seconds over its whole run (start, reconcile, one resync)`,
      `writes until steady, round 1: ${JSON.stringify(first.writesUntilSteady)}; Events in the Performers' namespace: ${first.eventReasons.join(", ") || "none"}; in one resync (${first.resync.reconciles} reconciles, ${first.resync.controllerCpuSeconds.toFixed(2)} controller CPU s): ${JSON.stringify(first.resync.writes)}`,
    ],
  };
}

export interface ScaleResult {
  sizes: { performers: number; round: Round; secondsPerThousand: number; timeRatio: number }[];
  /** Sizes not measured within the budget, and why. */
  unmeasured: string[];
  /** Where the run's wall time went. */
  timeline: Step[];
  checks: Check[];
  notes: string[];
}

/**
 * Reconcile at each size (one round each), and at the largest a resync and a restart over the result, within
 * `budgetMs` altogether. The targets compare the smallest size with the largest, so those two go first and only
 * they have a baseline; the sizes between come after, with the controller alone. A size that cannot finish before
 * the budget ends is given up (its control plane torn down), it and those after it are reported as not
 * measured, and the run ends by itself.
 */
export async function scaleBenchmark(sizes: readonly number[], budgetMs: number): Promise<ScaleResult> {
  const deadline = Date.now() + budgetMs;
  timeline = [];
  const measured: ScaleResult["sizes"] = [];
  const unmeasured: string[] = [];
  const ends = [sizes[0]!, sizes.at(-1)!];
  const order = [...new Set([...ends, ...sizes])];
  for (const count of order) {
    if (unmeasured.length) {
      unmeasured.push(`${count}: not started, the budget was spent`);
      continue;
    }
    try {
      const [round] = await measureRounds(count, 1, count === sizes.at(-1), deadline, ends.includes(count));
      measured.push({
        performers: count,
        round: round!,
        secondsPerThousand: (1000 * round!.controller.seconds) / count,
        timeRatio: timeRatio([round!]),
      });
    } catch (error) {
      if (Date.now() < deadline) throw error;
      unmeasured.push(
        `${count}: given up at the end of the ${budgetMs / 1000} s budget (${(error as Error).message})`,
      );
    }
  }
  measured.sort((a, b) => a.performers - b.performers);
  const at = (count: number) => measured.find((m) => m.performers === count);
  const smallestCount = sizes[0]!;
  const n = sizes.at(-1)!;
  const smallest = at(smallestCount);
  const largest = at(n);
  const restart = largest?.round.controller.restart;
  // NaN: not measured, which the summary prints as such and which holds no target.
  const of = (m: typeof largest, pick: (m: NonNullable<typeof largest>) => number) =>
    m ? pick(m) : Number.NaN;
  const mibPerThousand =
    smallest && largest
      ? (1000 * (largest.round.controller.usage.peakRssMiB - smallest.round.controller.usage.peakRssMiB)) /
        (n - smallestCount)
      : Number.NaN;
  return {
    sizes: measured,
    unmeasured,
    timeline,
    checks: [
      atMost(
        "scale",
        `time per Performer at ${n} / at ${smallestCount}`,
        of(largest, (l) => l.secondsPerThousand) / of(smallest, (s) => s.secondsPerThousand),
        1.2,
      ),
      atMost(
        "scale",
        `time / baseline at ${n} over time / baseline at ${smallestCount}`,
        of(largest, (l) => l.timeRatio) / of(smallest, (s) => s.timeRatio),
        1,
      ),
      atMost(
        "scale",
        `API writes per resync at ${n}`,
        of(largest, (l) => total(l.round.controller.resync.writes)),
        0,
      ),
      atMost(
        "scale",
        `controller CPU s per resync at ${n}`,
        of(largest, (l) => l.round.controller.resync.controllerCpuSeconds),
        1,
      ),
      // The CreatedPod Event is the guide's sign of a new Performer at work (kubectl get events), as a
      // ReplicaSet's SuccessfulCreate is: it is counted apart from the Pod, the Service and the status.
      ...sizes.flatMap((count) => [
        atMost(
          "scale",
          `API writes per Performer at ${count}, Events left out`,
          of(at(count), (m) => m.round.controller.writesPerPerformer - m.round.controller.eventsPerPerformer),
          3,
        ),
        atMost(
          "scale",
          `Events per Performer at ${count}`,
          of(at(count), (m) => m.round.controller.eventsPerPerformer),
          1,
        ),
      ]),
      atMost(
        "scale",
        `controller peak RSS at ${smallestCount} (MiB)`,
        of(smallest, (s) => s.round.controller.usage.peakRssMiB),
        150,
      ),
      atMost(
        "scale",
        `controller peak RSS at ${n} (MiB)`,
        of(largest, (l) => l.round.controller.usage.peakRssMiB),
        250,
      ),
      // What the two RSS targets (150 MiB at 500, 250 at 5,000) allow between them: 100 MiB over 4,500 Performers.
      atMost(
        "scale",
        `controller peak RSS per 1,000 Performers, ${smallestCount} to ${n} (MiB)`,
        mibPerThousand,
        Number(((1000 * (250 - 150)) / (5000 - 500)).toFixed(1)),
      ),
      atMost(
        "scale",
        `controller peak RSS, restarted over ${n} (MiB)`,
        restart?.usage.peakRssMiB ?? Number.NaN,
        250,
      ),
    ],
    notes: [
      `one round per size, each phase on a fresh control plane; ${DEFAULT_WORKERS} workers, ${CLIENT_CONCURRENCY} creates in flight, no webhooks; a budget of ${budgetMs / 1000} s for the whole run`,
      ...measured.map(
        (m) =>
          `${m.performers} Performers: controller ${phaseText(m.round.controller)}, ${m.secondsPerThousand.toFixed(2)} s per 1,000; ${m.round.baseline ? `baseline ${phaseText(m.round.baseline)}; time / baseline ${m.timeRatio.toFixed(2)}` : "no baseline (the targets compare the smallest and largest sizes)"}; ${m.round.controller.writesPerPerformer.toFixed(2)} writes per Performer (${m.round.controller.eventsPerPerformer.toFixed(2)} of them Events); controller peak RSS ${m.round.controller.usage.peakRssMiB.toFixed(0)} MiB, ${m.round.controller.usage.cpuSeconds.toFixed(1)} CPU s`,
      ),
      ...unmeasured.map((u) => `not measured: ${u}`),
      `where the ${(timeline.reduce((sum, s) => sum + s.seconds, 0)).toFixed(0)} s went: ${timeline.map((s) => `${s.what} ${s.seconds.toFixed(1)} s`).join("; ")}`,
      `controller memory, peak RSS per 1,000 Performers from ${smallestCount} to ${n}: ${Number.isNaN(mibPerThousand) ? "not measured" : `${mibPerThousand.toFixed(1)} MiB`}`,
      ...(largest
        ? [
            `resync at ${n}: ${largest.round.controller.resync.reconciles} reconciles, ${largest.round.controller.resync.controllerCpuSeconds.toFixed(2)} controller CPU s, writes ${JSON.stringify(largest.round.controller.resync.writes)}`,
          ]
        : []),
      ...(restart
        ? [
            `restart over ${n} converged Performers: listed and reconciled again in ${restart.seconds.toFixed(1)} s, peak RSS ${restart.usage.peakRssMiB.toFixed(0)} MiB, ${restart.usage.cpuSeconds.toFixed(1)} CPU s, writes ${JSON.stringify(restart.writes)}`,
          ]
        : []),
    ],
  };
}
