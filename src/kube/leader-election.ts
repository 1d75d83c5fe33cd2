// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: a candidate takes
// the Lease when it is free or its holder has not renewed it for leaseDuration (measured on the candidate's own
// monotonic clock from when it last saw the record change, so neither skew between nodes nor a clock step
// matters); the leader renews every retryPeriod and gives up leadership if it could not renew for renewDeadline,
// however long a request hangs. Stopping releases the Lease so that a standby takes over at once instead of after
// leaseDuration.
import { setTimeout as sleep } from "node:timers/promises";
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import { errorLogFields, isConflict, isNotFound } from "./api-errors.ts";
import { jittered } from "./backoff.ts";
import { requestOptions, withDeadline } from "./deadline.ts";

/** A Lease's spec as leader election reads and writes it: holder, duration and times. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** A Lease's record with the resourceVersion an update must name. */
export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** One Lease object; create and update fail with a 409 when someone else got there first. */
export interface LeaseClient {
  /** The Lease, or undefined when there is none; `signal` cancels the request. */
  get(signal?: AbortSignal): Promise<StoredLease | undefined>;
  /** Creates the Lease with `record`; `signal` cancels the request. */
  create(record: LeaseRecord, signal?: AbortSignal): Promise<void>;
  /** Replaces the Lease at `resourceVersion` with `record`; `signal` cancels the request. */
  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<void>;
}

/** The Lease, identity, metrics, timings and leadership callbacks of one candidate. */
export interface LeaderElectionOptions {
  client: LeaseClient;
  identity: string;
  /** The `name` label of the metric: the Lease's name. */
  name: string;
  registry: Registry;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this process becomes the leader, and when it stops being the leader; the Lease is released
   * (on stop) only after onStoppedLeading has settled, so that work in progress finishes under the Lease. */
  onStartedLeading: () => void;
  onStoppedLeading: () => void | Promise<void>;
}

/** metav1.MicroTime's wire format: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Takes and renews a Lease so that one replica at a time runs the workers; releases it on stop. */
export class LeaderElector {
  readonly #o: Required<LeaderElectionOptions>;
  readonly #logger: Logger;
  readonly #status: Gauge<"name">;
  readonly #stop = new AbortController();
  #observed: { record: LeaseRecord; at: number } | undefined;
  #leading = false;
  #running: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      ...options,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
    };
    this.#logger = options.logger.child({ lease: options.name, identity: options.identity });
    const existing = options.registry.getSingleMetric("hourglass_leader_election_master_status");
    this.#status =
      (existing as Gauge<"name"> | undefined) ??
      new Gauge({
        name: "hourglass_leader_election_master_status",
        help: "1 while this process is the leader of the named lease, else 0",
        labelNames: ["name"],
        registers: [options.registry],
      });
    this.#status.set({ name: options.name }, 0);
  }

  /** Campaigns, leads, and campaigns again after losing the Lease, until stop(). */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Whether this process holds the Lease now. */
  isLeader(): boolean {
    return this.#leading;
  }

  /** Stops campaigning and, if leading, releases the Lease (after onStoppedLeading has run). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      if ((await this.#attempt(this.#o.renewDeadlineMs)) !== true) {
        await this.#wait(jittered(this.#o.retryPeriodMs, 0.2));
        continue;
      }
      await this.#setLeading(true);
      let lastRenew = performance.now();
      while (!this.#stop.signal.aborted) {
        await this.#wait(this.#o.retryPeriodMs);
        if (this.#stop.signal.aborted) break;
        const left = this.#o.renewDeadlineMs - (performance.now() - lastRenew);
        const renewed = left > 0 ? await this.#attempt(left) : TIMED_OUT;
        if (renewed === true) {
          lastRenew = performance.now();
        } else if (this.#stop.signal.aborted) {
          break;
        } else if (renewed === TIMED_OUT || performance.now() - lastRenew >= this.#o.renewDeadlineMs) {
          this.#logger.error(
            { renewDeadlineMs: this.#o.renewDeadlineMs },
            "could not renew the lease in time; leadership lost",
          );
          break;
        }
      }
      await this.#setLeading(false);
      if (this.#stop.signal.aborted) {
        // Bounded too: stopping must not wait on a silent connection; the Lease then expires on its own.
        const released = await withDeadline("releasing the lease", this.#o.renewDeadlineMs, (signal) =>
          this.#release(signal),
        ).catch((): typeof TIMED_OUT => TIMED_OUT);
        if (released === TIMED_OUT) {
          this.#logger.warn(
            "releasing the lease did not answer in time; a standby takes over once it expires",
          );
        }
      }
    }
  }

  /**
   * One attempt, given up after `ms` or on stop: a request that hangs (a connection gone silent) must not keep
   * this process leading past the renew deadline, while a standby takes the Lease once it expires.
   */
  async #attempt(ms: number): Promise<boolean | typeof TIMED_OUT> {
    const result = await withDeadline(
      "lease acquire/renew",
      ms,
      (signal) => this.#tryAcquireOrRenew(signal),
      this.#stop.signal,
    ).catch((): typeof TIMED_OUT => TIMED_OUT);
    if (result === TIMED_OUT && !this.#stop.signal.aborted) {
      this.#logger.warn({ timeoutMs: Math.round(ms) }, "lease acquire/renew did not answer in time");
    }
    return result;
  }

  /** One attempt; true when this process holds the Lease afterwards. Errors count as "not now". */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const seenAt = performance.now();
    try {
      const stored = await this.#o.client.get(signal);
      if (!stored) {
        await this.#o.client.create(this.#record(now, undefined), signal);
        this.#observed = undefined;
        return true;
      }
      const { record } = stored;
      if (!this.#observed || !sameRecord(this.#observed.record, record)) {
        this.#observed = { record, at: seenAt };
      }
      const heldByOther = record.holderIdentity !== "" && record.holderIdentity !== this.#o.identity;
      const expiresAt = this.#observed.at + record.leaseDurationSeconds * 1000;
      if (heldByOther && expiresAt > seenAt) {
        this.#logger.debug(
          { holder: record.holderIdentity, expiresInMs: Math.round(expiresAt - seenAt) },
          "lease held by another",
        );
        return false;
      }
      await this.#o.client.update(this.#record(now, record), stored.resourceVersion, signal);
      return true;
    } catch (error) {
      // An aborted attempt was given up on (and said so) by #attempt.
      if (!isConflict(error) && !signal.aborted) {
        this.#logger.warn(errorLogFields(error), "lease acquire/renew failed");
      }
      return false;
    }
  }

  #record(now: Date, previous: LeaseRecord | undefined): LeaseRecord {
    const keep = previous?.holderIdentity === this.#o.identity;
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: keep ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: keep ? previous.leaseTransitions : (previous?.leaseTransitions ?? -1) + 1,
    };
  }

  async #release(signal: AbortSignal): Promise<void> {
    try {
      const stored = await this.#o.client.get(signal);
      if (stored?.record.holderIdentity !== this.#o.identity) return;
      const now = microTime(new Date());
      await this.#o.client.update(
        { ...stored.record, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        stored.resourceVersion,
        signal,
      );
      this.#logger.info("lease released");
    } catch (error) {
      this.#logger.warn(
        errorLogFields(error),
        "could not release the lease; a standby takes over once it expires",
      );
    }
  }

  async #setLeading(leading: boolean): Promise<void> {
    if (this.#leading === leading) return;
    this.#leading = leading;
    this.#status.set({ name: this.#o.name }, leading ? 1 : 0);
    this.#logger.info(leading ? "became the leader" : "stopped leading");
    if (leading) this.#o.onStartedLeading();
    else await this.#o.onStoppedLeading();
  }

  async #wait(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.#stop.signal }).catch(() => undefined);
  }
}

const TIMED_OUT = Symbol("timed out");

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** The Lease `namespace/name` through the coordination.k8s.io/v1 API. */
export function apiLeaseClient(kubeConfig: KubeConfig, namespace: string, name: string): LeaseClient {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const toLease = (record: LeaseRecord, resourceVersion?: string): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    // MicroTime travels as a string; the generated model's Date type does not describe the wire.
    spec: record as unknown as V1Lease["spec"],
  });
  return {
    async get(signal) {
      try {
        const lease = await api.readNamespacedLease({ name, namespace }, requestOptions(signal));
        const spec = (lease.spec ?? {}) as Partial<Record<keyof LeaseRecord, unknown>>;
        return {
          resourceVersion: lease.metadata?.resourceVersion ?? "",
          record: {
            holderIdentity: String(spec.holderIdentity ?? ""),
            leaseDurationSeconds: Number(spec.leaseDurationSeconds ?? 0),
            acquireTime: String(spec.acquireTime ?? ""),
            renewTime: String(spec.renewTime ?? ""),
            leaseTransitions: Number(spec.leaseTransitions ?? 0),
          },
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async create(record, signal) {
      await api.createNamespacedLease({ namespace, body: toLease(record) }, requestOptions(signal));
    },
    async update(record, resourceVersion, signal) {
      await api.replaceNamespacedLease(
        { name, namespace, body: toLease(record, resourceVersion) },
        requestOptions(signal),
      );
    },
  };
}
