// Runs the Performer controller: informers on Performers and on the Pods and Services labelled as theirs feed
// a work queue of Performer keys; workers reconcile them. With leader election, only the holder of the Lease
// runs workers; the informers run on every replica, so that a standby takes over with a warm cache.

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeConfig, KubernetesObject, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { LABEL_PERFORMER, PERFORMER_KIND, PERFORMERS_PATH, type Performer } from "../src/api/performer.ts";
import { errorLogFields } from "../src/kube/api-errors.ts";
import { deadline } from "../src/kube/deadline.ts";
import { Informer, type ListWatchSource, objectKey } from "../src/kube/informer.ts";
import { apiLeaseClient, LeaderElector } from "../src/kube/leader-election.ts";
import { apiListWatch } from "../src/kube/list-watch.ts";
import { WorkQueue } from "../src/kube/workqueue.ts";
import { type ReconcileOutcome, reconcileMetrics } from "./controller-metrics.ts";
import {
  type AccessReview,
  checkPermissions,
  MissingPermissions,
  operatorRules,
  selfAccessReview,
} from "./operator-permissions.ts";
import { performerReconciler, type Reconcile, RequeueError } from "./performer.ts";
import { cachedPerformer, cachedPod, cachedService } from "./performer-child-cache.ts";
import { apiPerformerCluster, type PerformerCluster } from "./performer-cluster.ts";

/** The controller's name in logs, metrics and the work queue's metrics. */
export const CONTROLLER_NAME = "performer";
/** The Lease the operator's replicas elect their leader with. */
export const LEASE_NAME = "hourglass-operator";
/**
 * Reconciles run at once. Each waits on the apiserver most of its time; with 500 new Performers, 4 workers
 * converged ~20% sooner than 2 (make bench), and the apiserver spent less CPU on the same writes.
 */
export const DEFAULT_WORKERS = 4;

/** What the Performer controller runs with: cluster, metrics, logger, leader election, workers and timings. */
export interface PerformerControllerOptions {
  kubeConfig: KubeConfig;
  registry: Registry;
  logger: Logger;
  /** Run workers only while holding the Lease `leaseNamespace/hourglass-operator`. */
  leaderElect: boolean;
  /** Concurrent reconciles (of different Performers; one Performer is never reconciled twice at once). */
  workers?: number;
  /** Where the Lease lives: $POD_NAMESPACE, else hourglass-system. */
  leaseNamespace?: string;
  identity?: string;
  resyncPeriodMs?: number;
  watchdogMs?: number;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** How the operator's own permissions are checked (a SelfSubjectAccessReview each by default). */
  accessReview?: AccessReview;
  /** How often missing permissions are checked again, while some are missing (default 60 s). */
  permissionRecheckMs?: number;
  /** How long one reconcile may take before its writes are cancelled (default 60 s). */
  reconcileTimeoutMs?: number;
}

/** A running Performer controller, for the health endpoints and an orderly stop. */
export interface PerformerController {
  /** True once every informer has listed its objects (for /readyz). */
  ready(): boolean;
  /** Hands every cached Performer to the workers again, as the periodic resync does. */
  resync(): void;
  /** Stops taking work, finishes reconciles in progress, releases the Lease, stops the informers. */
  stop(): Promise<void>;
}

/** Starts the informers, the work queue and (when leading) the workers that reconcile Performers. */
export function startPerformerController(options: PerformerControllerOptions): PerformerController {
  const { kubeConfig, registry } = options;
  const logger = options.logger.child({ controller: CONTROLLER_NAME });
  const workers = options.workers ?? DEFAULT_WORKERS;
  const metrics = reconcileMetrics(registry, CONTROLLER_NAME);
  const watchdogMs = options.watchdogMs ?? 3 * 60_000;
  const informerDefaults = { logger, resyncPeriodMs: options.resyncPeriodMs ?? 10 * 60_000, watchdogMs };
  // Lists in pages, each item reduced to what the reconciler reads (performer-child-cache.ts) as it arrives.
  const source = <T extends KubernetesObject>(path: string, labelSelector?: string): ListWatchSource<T> =>
    apiListWatch<T>(kubeConfig, { path, labelSelector, inactivityTimeoutMs: watchdogMs + 30_000 });

  let term: { queue: WorkQueue; done: Promise<void> } | undefined;
  const enqueue = (key: string | undefined) => {
    if (key) term?.queue.add(key);
  };

  const informer = <T extends KubernetesObject>(
    name: string,
    from: ListWatchSource<T>,
    transform: (object: T) => T,
    keyOf: (object: T) => string | undefined,
  ) =>
    new Informer<T>({
      name,
      ...informerDefaults,
      source: from,
      transform,
      onEvent: (o) => enqueue(keyOf(o)),
    });
  const performers = informer<Performer>("performers", source(PERFORMERS_PATH), cachedPerformer, objectKey);
  const pods = informer<V1Pod>("pods", source("/api/v1/pods", LABEL_PERFORMER), cachedPod, ownerKey);
  const services = informer<V1Service>(
    "services",
    source("/api/v1/services", LABEL_PERFORMER),
    cachedService,
    ownerKey,
  );
  const informers = [performers, pods, services];

  const leaseNamespace = options.leaseNamespace ?? process.env.POD_NAMESPACE ?? "hourglass-system";
  const missingPermissions = new MissingPermissions(logger);
  // Every Performer's OperatorPermissions condition follows the set.
  missingPermissions.onChange = () => {
    for (const performer of performers.list()) enqueue(objectKey(performer));
  };
  const review = options.accessReview ?? selfAccessReview(kubeConfig);
  const rules = operatorRules(leaseNamespace);
  const checking = checkPermissions(review, rules, missingPermissions, logger);
  // While something is missing, look again: a fixed ClusterRole clears the condition without a restart.
  const recheck = setInterval(() => {
    if (missingPermissions.list().length) checkPermissions(review, rules, missingPermissions, logger);
  }, options.permissionRecheckMs ?? 60_000);
  recheck.unref();

  const reconcile = performerReconciler({
    logger,
    missingPermissions,
    cluster: keepingWhatTheCacheKeeps(apiPerformerCluster(kubeConfig, options.identity)),
    caches: {
      performer: (namespace, name) => performers.get(namespace, name),
      pod: (namespace, name) => pods.get(namespace, name),
      service: (namespace, name) => services.get(namespace, name),
    },
  });

  /** A leadership term: a fresh queue seeded with every known Performer, and its workers. */
  const startTerm = () => {
    const queue = new WorkQueue({ name: CONTROLLER_NAME, registry });
    for (const performer of performers.list()) queue.add(objectKey(performer));
    const synced = () => informers.every((i) => i.hasSynced());
    const current = { queue, done: Promise.resolve() };
    term = current;
    // As controller-runtime does, no reconcile before every cache has listed: a Pod not yet in the cache would
    // look missing and be created a second time (refused with a 409, but noise all the same).
    const loops = Array.from({ length: workers }, async () => {
      while (term === current && !synced()) await sleep(100);
      await work(queue, reconcile, metrics, logger, options.reconcileTimeoutMs);
    });
    current.done = Promise.all(loops).then(() => undefined);
    logger.info({ workers }, "reconciling Performers");
  };
  const endTerm = async () => {
    const ending = term;
    term = undefined;
    if (!ending) return;
    await ending.queue.shutDown();
    await ending.done;
  };

  for (const informer of informers) informer.start();
  const elector = options.leaderElect
    ? new LeaderElector({
        client: apiLeaseClient(kubeConfig, leaseNamespace, LEASE_NAME),
        identity: options.identity ?? `${hostname()}_${randomUUID()}`,
        name: LEASE_NAME,
        registry,
        logger,
        leaseDurationMs: options.leaseDurationMs,
        renewDeadlineMs: options.renewDeadlineMs,
        retryPeriodMs: options.retryPeriodMs,
        onStartedLeading: startTerm,
        onStoppedLeading: endTerm,
      })
    : undefined;
  if (elector) elector.start();
  else startTerm();

  return {
    ready: () => informers.every((i) => i.hasSynced()),
    resync: () => {
      for (const performer of performers.list()) enqueue(objectKey(performer));
    },
    async stop() {
      clearInterval(recheck);
      await checking;
      if (elector) await elector.stop();
      else await endTerm();
      await Promise.all(informers.map((i) => i.stop()));
      logger.info("stopped");
    },
  };
}

/**
 * The cluster, with the children it returns reduced as the caches reduce them: the reconciler remembers each child
 * it created until the cache shows it (expectations), which must not hold a full Pod per Performer meanwhile.
 */
export function keepingWhatTheCacheKeeps(cluster: PerformerCluster): PerformerCluster {
  return {
    ...cluster,
    createPod: async (pod, signal) => cachedPod(await cluster.createPod(pod, signal)),
    createService: async (service, signal) => cachedService(await cluster.createService(service, signal)),
    patchService: async (existing, desired, signal) =>
      cachedService(await cluster.patchService(existing, desired, signal)),
  };
}

/** The Performer a child belongs to: its controller reference, else its performer label. */
function ownerKey(child: KubernetesObject): string | undefined {
  const namespace = child.metadata?.namespace;
  const owner = child.metadata?.ownerReferences?.find((r) => r.controller && r.kind === PERFORMER_KIND);
  const name = owner?.name ?? child.metadata?.labels?.[LABEL_PERFORMER];
  return namespace && name ? `${namespace}/${name}` : undefined;
}

/** How long one reconcile may take before its writes are cancelled and the key is retried with backoff. */
export const DEFAULT_RECONCILE_TIMEOUT_MS = 60_000;

/**
 * One worker: takes keys until the queue shuts down; never throws. Each reconcile gets a signal that aborts after
 * `reconcileTimeoutMs`, and a logger bound to its key and a reconcile id (as controller-runtime's reconcileID), so
 * that the lines of one pass can be told from the next one's.
 */
export async function work(
  queue: WorkQueue,
  reconcile: Reconcile,
  metrics: ReturnType<typeof reconcileMetrics>,
  logger: Logger,
  reconcileTimeoutMs = DEFAULT_RECONCILE_TIMEOUT_MS,
): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    const log = logger.child({ performer: key, reconcileId: randomUUID() });
    const stopTimer = metrics.time.startTimer({ controller: CONTROLLER_NAME });
    // The reconcile is awaited, not raced: once aborted its writes end at once, and none is still in flight when
    // the key is handed out again.
    const bound = deadline(`reconcile ${key}`, reconcileTimeoutMs);
    let result: ReconcileOutcome = "success";
    log.trace("reconciling");
    try {
      const { requeueAfterMs } = await reconcile(key, bound.signal, log);
      queue.forget(key);
      if (requeueAfterMs !== undefined) {
        queue.addAfter(key, requeueAfterMs);
        result = "requeue_after";
      }
    } catch (error) {
      queue.addRateLimited(key);
      if (error instanceof RequeueError) {
        result = "requeue";
        log.debug({ reason: error.message }, "requeued");
      } else {
        result = "error";
        const cause = bound.signal.aborted ? bound.signal.reason : error;
        log.error({ ...errorLogFields(cause), retryInMs: queue.backoffMs(key) }, "reconcile failed");
      }
    } finally {
      bound.clear();
      const seconds = stopTimer();
      log.debug({ result, durationMs: Math.round(seconds * 1000) }, "reconciled");
      metrics.total.inc({ controller: CONTROLLER_NAME, result });
      queue.done(key);
    }
  }
}
