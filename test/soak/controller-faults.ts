// The operator's controller and webhooks under faults, on a control plane of their own: a stream of Performer
// creates, updates and deletes (each retried until the apiserver takes it, as kubectl users and the executor
// would), while the operator is SIGKILLed at random points, then while kube-apiserver and etcd are killed and
// restarted. After each phase: every Performer has exactly one Pod, owned by it, running its latest version (no
// lost update), and no Pod is left of a deleted one.
import { cp as copy, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import {
  LABEL_PERFORMER,
  PERFORMER_GROUP,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
} from "../../src/api/performer.ts";
import { apiStatusCode } from "../../src/kube/api-errors.ts";
import {
  destroyControlPlane,
  freePort,
  restartApiserver,
  restartEtcd,
  startControlPlane,
} from "../controlplane/controlplane.ts";
import { installProject } from "../controlplane/install.ts";
import { type OperatorProcess, startOperator } from "../controlplane/operator-process.ts";

const NAMESPACE = "soak";
const IMAGE = "registry.example/avs/performer";
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const CONVERGE_TIMEOUT_MS = 120_000;

export interface FaultPhase {
  phase: string;
  operations: number;
  faults: string;
  /** Tries the apiserver refused while a fault was on (webhook unreachable, apiserver or etcd down). */
  retries: number;
  convergedS: number;
  performers: number;
  duplicatePods: number;
  lostUpdates: number;
  leftoverPods: number;
  /** What did not converge, one line per object (empty when it converged). */
  divergence: string[];
}

type Op = { kind: "create" | "update" | "delete"; name: string; version: number };

/** A deterministic pseudo-random sequence (mulberry32), so that a run can be repeated. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` operations over 40 names: create a missing one, else mostly update its version, sometimes delete it. */
function operations(count: number, next: () => number, live: Map<string, number>): Op[] {
  const ops: Op[] = [];
  const state = new Map(live);
  for (let i = 0; i < count; i++) {
    const name = `p${Math.floor(next() * 40)}`;
    const version = (state.get(name) ?? 0) + 1;
    const kind = !state.has(name) ? "create" : next() < 0.2 ? "delete" : "update";
    if (kind === "delete") state.delete(name);
    else state.set(name, version);
    ops.push({ kind, name, version });
  }
  return ops;
}

class Cluster {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  retries = 0;

  constructor(kubeConfig: KubeConfig) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  /** Applies one operation, trying again until the apiserver takes it (or finds it already done). */
  async apply(op: Op, deadline = Date.now() + APPLY_TIMEOUT_MS): Promise<void> {
    const where = {
      group: PERFORMER_GROUP,
      version: PERFORMER_VERSION,
      namespace: NAMESPACE,
      plural: PERFORMER_PLURAL,
    };
    for (;;) {
      try {
        if (op.kind === "create") {
          await this.custom.createNamespacedCustomObject({
            ...where,
            body: {
              apiVersion: `${PERFORMER_GROUP}/${PERFORMER_VERSION}`,
              kind: "Performer",
              metadata: { name: op.name },
              spec: { avsAddress: AVS, image: IMAGE, version: `v${op.version}` },
            },
          });
        } else if (op.kind === "update") {
          await this.custom.patchNamespacedCustomObject(
            { ...where, name: op.name, body: { spec: { version: `v${op.version}` } } },
            mergePatch,
          );
        } else {
          await this.custom.deleteNamespacedCustomObject({ ...where, name: op.name });
        }
        return;
      } catch (err) {
        const code = apiStatusCode(err);
        // A create or delete that went through before its answer was lost.
        if ((op.kind === "create" && code === 409) || (op.kind === "delete" && code === 404)) {
          if (op.kind === "create") return this.apply({ ...op, kind: "update" }, deadline);
          return;
        }
        if (Date.now() > deadline) throw new Error(`${op.kind} ${op.name} was refused for 90 s: ${err}`);
        this.retries++;
        await sleep(200);
      }
    }
  }

  async pods(): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: LABEL_PERFORMER }))
      .items;
  }

  async performers(): Promise<Map<string, { uid: string; version: string }>> {
    const list = (await this.custom.listNamespacedCustomObject({
      group: PERFORMER_GROUP,
      version: PERFORMER_VERSION,
      namespace: NAMESPACE,
      plural: PERFORMER_PLURAL,
    })) as { items: { metadata: { name: string; uid: string }; spec: { version: string } }[] };
    return new Map(
      list.items.map((p) => [p.metadata.name, { uid: p.metadata.uid, version: p.spec.version }]),
    );
  }
}

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** How long one operation is tried before the run gives up: far beyond any fault here. */
const APPLY_TIMEOUT_MS = 90_000;

/** What the cluster shows against what the operations asked for. */
async function verdict(cluster: Cluster, expected: Map<string, number>) {
  const [pods, performers] = await Promise.all([cluster.pods(), cluster.performers()]);
  const byPerformer = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const name = pod.metadata?.labels?.[LABEL_PERFORMER] ?? "";
    byPerformer.set(name, [...(byPerformer.get(name) ?? []), pod]);
  }
  let duplicatePods = 0;
  let lostUpdates = 0;
  let missing = 0;
  const divergence: string[] = [];
  for (const [name, version] of expected) {
    const stored = performers.get(name);
    const own = (byPerformer.get(name) ?? []).filter(
      (p) => p.metadata?.ownerReferences?.[0]?.uid === stored?.uid && !p.metadata?.deletionTimestamp,
    );
    duplicatePods += Math.max(0, own.length - 1);
    if (own.length > 1) divergence.push(`Performer ${name}: ${own.length} Pods`);
    if (stored?.version !== `v${version}`) {
      lostUpdates++;
      divergence.push(`Performer ${name}: stored ${stored?.version ?? "nothing"}, expected v${version}`);
    }
    if (own.length === 0) {
      missing++;
      divergence.push(`Performer ${name} (uid ${stored?.uid}): no Pod of its own`);
    } else if (own[0]!.spec?.containers[0]?.image !== `${IMAGE}:v${version}`) {
      lostUpdates++;
      divergence.push(
        `Performer ${name}: Pod runs ${own[0]!.spec?.containers[0]?.image}, expected v${version}`,
      );
    }
  }
  const leftovers = pods.filter((p) => {
    const name = p.metadata?.labels?.[LABEL_PERFORMER] ?? "";
    return !expected.has(name) || p.metadata?.ownerReferences?.[0]?.uid !== performers.get(name)?.uid;
  });
  for (const p of leftovers) {
    const name = p.metadata?.labels?.[LABEL_PERFORMER] ?? "";
    divergence.push(
      `leftover Pod ${p.metadata?.name} (created ${p.metadata?.creationTimestamp}${p.metadata?.deletionTimestamp ? `, deleted ${p.metadata.deletionTimestamp}` : ""}) ` +
        `owned by uid ${p.metadata?.ownerReferences?.[0]?.uid}; Performer ${name} is ${performers.get(name)?.uid ?? "gone"}`,
    );
  }
  const extraPerformers = [...performers.keys()].filter((n) => !expected.has(n));
  for (const n of extraPerformers) divergence.push(`Performer ${n} exists, expected deleted`);
  return {
    duplicatePods,
    lostUpdates: lostUpdates + extraPerformers.length,
    leftoverPods: leftovers.length,
    missing,
    divergence,
  };
}

async function converge(cluster: Cluster, expected: Map<string, number>, started: number) {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  for (;;) {
    const v = await verdict(cluster, expected).catch(() => undefined);
    if (v && v.duplicatePods + v.lostUpdates + v.leftoverPods + v.missing === 0) {
      return { ...v, convergedS: (Date.now() - started) / 1000 };
    }
    if (Date.now() > deadline) {
      if (!v) throw new Error("the apiserver did not answer while waiting for convergence");
      return { ...v, convergedS: Number.NaN };
    }
    await sleep(1_000);
  }
}

function expectedAfter(ops: readonly Op[], live: Map<string, number>): Map<string, number> {
  const state = new Map(live);
  for (const op of ops) {
    if (op.kind === "delete") state.delete(op.name);
    else state.set(op.name, op.version);
  }
  return state;
}

export type FaultPhaseName = "kills" | "restarts";

/** The phases run in the order given (a phase may repeat); `restarts` first starts from no Performers. */
export async function controllerFaults(
  phasesToRun: readonly FaultPhaseName[] = ["kills", "restarts"],
  seed = 14,
): Promise<FaultPhase[]> {
  const dir = await mkdtemp(join(tmpdir(), "soak-faults-"));
  const next = random(seed);
  let keepLogs = false;
  let operator: OperatorProcess | undefined;
  try {
    const cp = await startControlPlane(dir);
    const webhookPort = await freePort();
    await installProject(cp, `https://127.0.0.1:${webhookPort}`);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cp.kubeconfigPath);
    const cluster = new Cluster(kubeConfig);
    await cluster.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const start = () =>
      startOperator({
        kubeconfigPath: cp.kubeconfigPath,
        webhookPort,
        webhookCertDir: cp.pki.webhookCertDir,
        controller: true,
        logFile: join(dir, "logs", "operator.log"),
      });
    operator = await start();
    const phases: FaultPhase[] = [];
    let live = new Map<string, number>();

    for (const name of phasesToRun) {
      // Phase 1: 200 operations, the operator SIGKILLed at 10 random points and started again at once.
      if (name === "kills") {
        const ops = operations(200, next, live);
        const killAt = new Set<number>();
        while (killAt.size < 10) killAt.add(Math.floor(next() * ops.length));
        cluster.retries = 0;
        let kills = 0;
        let restarting: Promise<OperatorProcess> = Promise.resolve(operator);
        for (const [i, op] of ops.entries()) {
          if (killAt.has(i)) {
            const running = await restarting;
            const exited = new Promise((resolve) => running.child.once("exit", resolve));
            running.child.kill("SIGKILL");
            await exited;
            kills++;
            // Started again in the background, as a Deployment would: operations meanwhile meet a closed webhook.
            restarting = start();
            // A start that fails or times out rejects where `restarting` is awaited (the next kill, or after the
            // operations), not as an unhandled rejection of this side branch.
            restarting.then(
              (o) => {
                operator = o;
              },
              () => {},
            );
            await sleep(Math.floor(next() * 1_000));
          }
          await cluster.apply(op);
        }
        operator = await restarting;
        live = expectedAfter(ops, live);
        const phase1Started = Date.now();
        phases.push({
          phase: "operator SIGKILLed",
          operations: ops.length,
          faults: `${kills} SIGKILLs`,
          retries: cluster.retries,
          performers: live.size,
          ...(await converge(cluster, live, phase1Started)),
        });
        continue;
      }

      // Phase 2: 100 operations while kube-apiserver, then etcd, is killed and started again.
      const more = operations(100, next, live);
      cluster.retries = 0;
      const applying = (async () => {
        for (const op of more) await cluster.apply(op);
      })();
      await sleep(1_000);
      await restartApiserver(dir);
      await sleep(2_000);
      await restartEtcd(dir);
      await applying;
      live = expectedAfter(more, live);
      phases.push({
        phase: "kube-apiserver and etcd restarted",
        operations: more.length,
        faults: "1 kube-apiserver SIGKILL + 1 etcd SIGKILL",
        retries: cluster.retries,
        performers: live.size,
        ...(await converge(cluster, live, Date.now())),
      });
    }
    keepLogs = phases.some((p) => p.divergence.length > 0);
    return phases.map(({ missing, ...p }: FaultPhase & { missing?: number }) => p);
  } finally {
    await operator?.stop();
    // What did not converge is explained by the logs of the operator and the control plane's controllers.
    if (keepLogs) {
      const kept = await mkdtemp(join(tmpdir(), "soak-faults-logs-"));
      await copy(join(dir, "logs"), kept, { recursive: true }).catch(() => undefined);
      process.stderr.write(`logs of the phase that did not converge: ${kept}\n`);
    }
    await destroyControlPlane(dir);
  }
}

if (import.meta.main) {
  // node test/soak/controller-faults.ts [kills|restarts ...]
  const named = process.argv.slice(2) as FaultPhaseName[];
  process.stdout.write(
    `${JSON.stringify(await controllerFaults(named.length ? named : undefined), null, 2)}\n`,
  );
}
