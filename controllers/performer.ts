// The Performer reconciler: level-triggered and idempotent. Given a key it reads the Performer and its
// children from the informer caches, creates what is missing, replaces a Pod whose spec hash is stale (a Pod's
// spec cannot be changed in place) or that has ended (evicted), patches a drifted Service, and writes the status
// when it differs from what is stored. Deleted Performers need nothing: their children carry a controller reference and the garbage
// collector removes them. A restart at any point converges: every decision is taken again from what the cluster
// holds. Creating the Pod is one Normal Event (CreatedPod, as a ReplicaSet's SuccessfulCreate), so that
// `kubectl get events` shows a new Performer at work; replacing, correcting and failing are Events too.
import type { KubernetesObject, V1OwnerReference, V1Pod, V1Service } from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  PERFORMER_KIND,
  type Performer,
  type PerformerStatus,
  performerChildName,
} from "../src/api/performer.ts";
import { CHILD_REASONS, type ChildKind } from "../src/api/performer-conditions.ts";
import {
  apiErrorMessage,
  apiStatusCode,
  errorLogFields,
  isConflict,
  isNotFound,
  isRejected,
} from "../src/kube/api-errors.ts";
import { jsonEqual } from "../src/kube/canonical-json.ts";
import { Expectations } from "./expectations.ts";
import type { MissingPermissions } from "./operator-permissions.ts";
import { isControlledBy } from "./owner.ts";
import type { PerformerCluster } from "./performer-cluster.ts";
import {
  createdPodEvent,
  type PerformerEvent,
  replacingPodEvent,
  statusTransitionEvents,
  updatedServiceEvent,
} from "./performer-events.ts";
import { performerPod, podHasEnded, podReplacement } from "./performer-pod.ts";
import { performerService, serviceMatches } from "./performer-service.ts";
import {
  type ChildProblem,
  type ObservedChildren,
  performerStatus,
  startupGraceRemainingMs,
} from "./performer-status.ts";

/** Read access to the informer caches. */
export interface PerformerCaches {
  performer(namespace: string, name: string): Performer | undefined;
  pod(namespace: string, name: string): V1Pod | undefined;
  service(namespace: string, name: string): V1Service | undefined;
}

/** What a reconcile asks of the work queue besides success: when to look again. */
export interface ReconcileResult {
  /** Look again after this long even if nothing changes (the status depends on the clock). */
  requeueAfterMs?: number;
}

/** The caches a reconcile reads, the writes it makes, and the permissions it knows to be missing. */
export interface PerformerReconcilerOptions {
  caches: PerformerCaches;
  cluster: PerformerCluster;
  logger: Logger;
  now?: () => Date;
  /** Rules the operator lacks: a condition on every Performer, and where each Forbidden is reported. */
  missingPermissions?: MissingPermissions;
}

type Remove<T> = (child: T, signal: AbortSignal) => Promise<void>;

/** What a reconcile of one Performer works on. */
interface Run {
  performer: Performer;
  observed: ObservedChildren;
  events: PerformerEvent[];
  signal: AbortSignal;
}

/** One kind of child: its expectations, how it is removed, how it is brought to its desired state. */
interface Children<T extends KubernetesObject> {
  kind: ChildKind;
  expectations: Expectations<T>;
  remove: Remove<T>;
  /** Brings this Performer's own child (or its absence) to the desired state. */
  ensure(run: Run, existing: T | undefined, key: string): Promise<number | undefined>;
}

function children<T extends KubernetesObject>(
  kind: ChildKind,
  expectations: Expectations<T>,
  remove: Remove<T>,
  ensure: Children<T>["ensure"],
): Children<T> {
  return { kind, expectations, remove, ensure };
}

const PROBLEM_OF = { Pod: "podProblem", Service: "serviceProblem" } as const satisfies Record<
  ChildKind,
  keyof ObservedChildren
>;

/** Thrown when the cluster is ahead of the cache (a 409): not a failure, just a reason to look again soon. */
export class RequeueError extends Error {}

/** How long the garbage collector is given to remove what a deleted Performer left before the controller does. */
export const GC_GRACE_MS = 10_000;
/** How often a create refused with 403 is tried again. */
const FORBIDDEN_RETRY_MS = 30_000;
/** The least time between creating a Pod and replacing it for having ended: a node that refuses Pods at once
 * (a device plugin not ready, OutOfcpu) must not get a new one in a tight loop. */
const MIN_ENDED_POD_LIFETIME_MS = 10_000;

/** How long an ended Pod still stays before it is replaced, or undefined when it may go now (or has not ended). */
function endedTooSoonMs(pod: V1Pod, now: Date): number | undefined {
  const created = Date.parse(String(pod.metadata?.creationTimestamp ?? ""));
  if (!podHasEnded(pod) || Number.isNaN(created)) return undefined;
  const left = created + MIN_ENDED_POD_LIFETIME_MS - now.getTime();
  return left > 0 ? left : undefined;
}

/**
 * Brings the Performer `key` (namespace/name) and its children to their desired state. `signal` aborts it: every
 * write it makes is cancelled with it. `log` is bound to the key and the reconcile (the worker's logger).
 */
export type Reconcile = (key: string, signal: AbortSignal, log?: Logger) => Promise<ReconcileResult>;

/** The Performer reconciler: brings a Performer's Pod, Service and status to what its spec asks, from the
 * caches. */
export function performerReconciler(options: PerformerReconcilerOptions): Reconcile {
  const { caches, cluster, logger, missingPermissions } = options;
  const forbidden = (error: unknown, seenIn: string) =>
    missingPermissions?.reportForbidden(error, seenIn) ?? false;
  const now = options.now ?? (() => new Date());
  const pods = new Expectations<V1Pod>();
  const services = new Expectations<V1Service>();
  /** The last status written per key, with the resourceVersion it was written over (see previousStatus). */
  const written = new Map<string, { over: string | undefined; status: PerformerStatus }>();

  /**
   * The status as stored: the cache's, unless the cache still holds the very version our last write replaced,
   * in which case that write is what is stored. Without this a reconcile between a status write and its watch
   * event would see the old status and announce the same transition twice.
   */
  function previousStatus(key: string, performer: Performer): PerformerStatus | undefined {
    const last = written.get(key);
    if (last && last.over === performer.metadata.resourceVersion) return last.status;
    written.delete(key);
    return performer.status;
  }

  /**
   * A child of a deleted namesake is the garbage collector's to remove, and it normally does so at once. It can
   * miss a deletion (its informer restarted while the apiserver was down), and the child would then block this
   * Performer for good. That namesake is gone for certain (this Performer holds its name now), so once the
   * collector has had GC_GRACE_MS since this Performer was created, the child is removed here (exactly that
   * uid). Resolves with when to look again while the grace lasts.
   */
  async function removePredecessorsChild<T extends KubernetesObject>(
    performer: Performer,
    child: T,
    remove: (child: T) => Promise<void>,
  ): Promise<number | undefined> {
    if (!isPredecessorsChild(child, performer) || child.metadata?.deletionTimestamp) return;
    const created = Date.parse(String(performer.metadata.creationTimestamp ?? ""));
    const left = (Number.isNaN(created) ? 0 : created) + GC_GRACE_MS - now().getTime();
    if (left > 0) return left;
    await removeLeftover(child, remove, `${performer.metadata.namespace}/${performer.metadata.name}`);
  }

  async function removeLeftover<T extends KubernetesObject>(
    child: T,
    remove: (child: T) => Promise<void>,
    key: string,
  ): Promise<void> {
    try {
      await remove(child);
      logger.info(
        { performer: key, child: child.metadata?.name, uid: child.metadata?.uid },
        "removed a child of a deleted Performer that the garbage collector left",
      );
    } catch (error) {
      // Gone already (the collector got there), or another object under the name now.
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }

  /** First seen, per key, of children whose Performer is gone from the cache (see orphans). */
  const orphansSince = new Map<string, number>();

  /**
   * The Performer is gone from the cache, but a Pod or Service it controlled is still there. The garbage
   * collector removes them; if they are still there GC_GRACE_MS later, the apiserver is asked whether the
   * Performer really is gone (the cache may lag), and they are removed here.
   */
  async function orphans(
    key: string,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<ReconcileResult> {
    const child = performerChildName(name);
    const pod = caches.pod(namespace, child);
    const service = caches.service(namespace, child);
    const left = [pod, service].filter(
      (c) => c && !c.metadata?.deletionTimestamp && controllingPerformer(c)?.name === name,
    );
    if (left.length === 0) {
      orphansSince.delete(key);
      return {};
    }
    const at = now().getTime();
    const since = orphansSince.get(key) ?? at;
    orphansSince.set(key, since);
    if (at - since < GC_GRACE_MS) return { requeueAfterMs: since + GC_GRACE_MS - at };
    orphansSince.delete(key);
    const live = await cluster.performerUid(namespace, name, signal);
    let stillOwned = false;
    for (const [found, remove] of [
      [pod, podChildren.remove],
      [service, serviceChildren.remove],
    ] as const) {
      const owner = found && controllingPerformer(found);
      if (!found || found.metadata?.deletionTimestamp || owner?.name !== name) continue;
      // The cache lags behind the apiserver, which still holds that very Performer: look again later.
      if (owner.uid === live) stillOwned = true;
      else await removeLeftover(found, (c) => (remove as Remove<KubernetesObject>)(c, signal), key);
    }
    return stillOwned ? { requeueAfterMs: GC_GRACE_MS } : {};
  }

  /**
   * Brings the child `cached` (as the cache holds it) to its desired state. Each ensure step resolves with when
   * to look again, if something is left to wait for.
   */
  async function ensureChild<T extends KubernetesObject>(
    children: Children<T>,
    run: Run,
    cached: T | undefined,
  ): Promise<number | undefined> {
    const { key } = childRef(run.performer);
    const existing = children.expectations.reconcile(key, cached, now().getTime());
    if (existing && !isControlledBy(existing, run.performer)) {
      run.observed[PROBLEM_OF[children.kind]] = notOurs(children.kind, existing, run.performer);
      return removePredecessorsChild(run.performer, existing, (c) => children.remove(c, run.signal));
    }
    return children.ensure(run, existing, key);
  }

  async function ensureService(
    run: Run,
    existing: V1Service | undefined,
    key: string,
  ): Promise<number | undefined> {
    const { performer, observed, events, signal } = run;
    const { namespace, name } = childRef(performer);
    const desired = performerService(performer);
    if (existing && serviceMatches(existing, desired)) {
      observed.service = existing;
      return;
    }
    try {
      if (existing) {
        observed.service = await cluster.patchService(existing, desired, signal);
        events.push(updatedServiceEvent(name));
      } else {
        observed.service = await cluster.createService(desired, signal);
        services.created(key, observed.service, now().getTime());
      }
    } catch (error) {
      forbidden(error, `Service ${namespace}/${name}`);
      const refused = rejection("Service", name, error);
      observed.serviceProblem = refused.problem;
      return refused.retryAfterMs;
    }
  }

  async function ensurePod(run: Run, existing: V1Pod | undefined, key: string): Promise<number | undefined> {
    const { performer, observed, events, signal } = run;
    const { namespace, name } = childRef(performer);
    // A Pod on its way out: wait for its deletion event, then create the successor under the same name.
    if (existing?.metadata?.deletionTimestamp) {
      observed.pod = existing;
      return;
    }
    const desired = performerPod(performer);
    if (existing) {
      observed.pod = existing;
      const replacement = podReplacement(existing, desired);
      if (!replacement) return;
      const wait = endedTooSoonMs(existing, now());
      if (wait !== undefined) return wait;
      try {
        await cluster.deletePod(existing, signal);
        events.push(replacingPodEvent(existing.metadata?.name, replacement));
      } catch (error) {
        // Already gone, or replaced by someone: the next event shows the cluster as it is.
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
      pods.deleted(key, existing, now().getTime());
      observed.pod = pods.reconcile(key, existing, now().getTime());
      return;
    }
    try {
      observed.pod = await cluster.createPod(desired, signal);
      pods.created(key, observed.pod, now().getTime());
      events.push(createdPodEvent(name));
    } catch (error) {
      forbidden(error, `Pod ${namespace}/${name}`);
      const refused = rejection("Pod", name, error);
      observed.podProblem = refused.problem;
      return refused.retryAfterMs;
    }
  }

  const podChildren = children("Pod", pods, (pod, signal) => cluster.deletePod(pod, signal), ensurePod);
  const serviceChildren = children(
    "Service",
    services,
    (s, signal) => cluster.deleteService(s, signal),
    ensureService,
  );

  return async function reconcile(
    key: string,
    signal: AbortSignal,
    log: Logger = logger.child({ performer: key }),
  ): Promise<ReconcileResult> {
    const [namespace, name] = splitKey(key);
    const cached = caches.performer(namespace, name);
    if (!cached) {
      written.delete(key);
      return orphans(key, namespace, name, signal);
    }
    orphansSince.delete(key);
    const previous = previousStatus(key, cached);
    const performer: Performer = { ...cached, ...(previous ? { status: previous } : {}) };
    const observed: ObservedChildren = {};
    const rechecks: (number | undefined)[] = [];
    const events: PerformerEvent[] = [];
    const { name: child } = childRef(performer);
    if (performer.metadata.deletionTimestamp) {
      observed.pod = caches.pod(namespace, child);
      observed.service = caches.service(namespace, child);
    } else {
      // Both at once (they are independent), and both finished before the reconcile ends, failed or not, so
      // that no write of this reconcile is still in flight when the next one for the key starts.
      const run: Run = { performer, observed, events, signal };
      const outcomes = await Promise.allSettled([
        ensureChild(serviceChildren, run, caches.service(namespace, child)),
        ensureChild(podChildren, run, caches.pod(namespace, child)),
      ]);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") throw outcome.reason;
        rechecks.push(outcome.value);
      }
    }
    const at = now();
    const missing = missingPermissions?.list() ?? [];
    if (missing.length) observed.missingPermissions = missing;
    const status = performerStatus(performer, observed, at);
    events.push(...statusTransitionEvents(previous, status));
    let statusRefused: unknown;
    if (!jsonEqual(previous, status)) {
      try {
        await cluster.writeStatus(cached, previous, status, signal);
        written.set(key, { over: cached.metadata.resourceVersion, status });
      } catch (error) {
        // Without performers/status the Events still say what is wrong, where the operator may write them.
        if (!forbidden(error, `Performer ${key} status`)) throw error;
        statusRefused = error;
      }
    }
    for (const event of events) {
      cluster.recordEvent(cached, event, signal).catch((error: unknown) => {
        // An Event is a courtesy; losing one must not fail or repeat the reconcile.
        if (forbidden(error, `Event ${event.reason} on Performer ${key}`)) return;
        log.warn({ ...errorLogFields(error), reason: event.reason }, "could not record event");
      });
    }
    if (statusRefused) throw new RequeueError(`status not written: ${apiErrorMessage(statusRefused)}`);
    rechecks.push(startupGraceRemainingMs(performer, observed.pod, at));
    const due = rechecks.filter((ms) => ms !== undefined);
    return due.length ? { requeueAfterMs: Math.min(...due) } : {};
  };
}

/** Where a Performer's Pod and Service live, and their key in the expectations. */
function childRef(performer: Performer): { namespace: string; name: string; key: string } {
  const namespace = performer.metadata.namespace!;
  const name = performerChildName(performer.metadata.name!);
  return { namespace, name, key: `${namespace}/${name}` };
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** The Performer controller reference of a child, if it has one. */
function controllingPerformer(child: KubernetesObject): V1OwnerReference | undefined {
  return child.metadata?.ownerReferences?.find((r) => r.controller && r.kind === PERFORMER_KIND);
}

/** Whether `child` belongs to an earlier Performer of this one's name (deleted, since this one holds the name). */
function isPredecessorsChild(child: KubernetesObject, performer: Performer): boolean {
  const owner = controllingPerformer(child);
  return (
    owner !== undefined && owner.name === performer.metadata.name && owner.uid !== performer.metadata.uid
  );
}

function notOurs(kind: ChildKind, child: KubernetesObject, performer: Performer): ChildProblem {
  const owner = child.metadata?.ownerReferences?.find((r) => r.controller);
  // A Performer deleted and created again under the same name (an executor's rollback does this) finds the old
  // one's child still there until it is gone: the garbage collector removes it (or, if it missed the deletion,
  // removePredecessorsChild does), and its deletion brings the next reconcile. That is progress, not a conflict.
  if (isPredecessorsChild(child, performer) || child.metadata?.deletionTimestamp) {
    return {
      reason: CHILD_REASONS[kind].waitingForPrevious,
      message:
        `${kind} ${child.metadata?.name} still belongs to ${owner ? `${owner.kind} ${owner.name} (uid ${owner.uid})` : "no Performer"} ` +
        `and is on its way out; this Performer's own ${kind} is created once it is gone`,
    };
  }
  const by = owner
    ? `is controlled by ${owner.kind} ${owner.name} (uid ${owner.uid})`
    : "is not controlled by it";
  return {
    reason: CHILD_REASONS[kind].conflict,
    message:
      `${kind} ${child.metadata?.name} exists and ${by}, not by this Performer; delete that ${kind} ` +
      "(or rename the Performer) and the operator creates its own",
  };
}

/**
 * A write the apiserver refused becomes a condition. A 403 (a ResourceQuota exceeded, the namespace terminating,
 * a policy) can pass without any change to the Performer, so it is looked at again, as a ReplicaSet retries;
 * other refusals (an invalid object) need the Performer changed, which brings a reconcile of its own. Anything
 * else is retried with backoff.
 */
function rejection(
  kind: ChildKind,
  name: string,
  error: unknown,
): { problem: ChildProblem; retryAfterMs?: number } {
  if (isConflict(error))
    throw new RequeueError(`${kind} ${name} changed meanwhile: ${apiErrorMessage(error)}`);
  if (!isRejected(error)) throw error;
  const message = `${kind} ${name} was refused: ${apiErrorMessage(error)}`;
  if (apiStatusCode(error) === 403) {
    return {
      problem: {
        reason: CHILD_REASONS[kind].forbidden,
        message: `${message}; trying again every ${FORBIDDEN_RETRY_MS / 1000} s`,
      },
      retryAfterMs: FORBIDDEN_RETRY_MS,
    };
  }
  return { problem: { reason: CHILD_REASONS[kind].rejected, message } };
}
