// Leader election against an in-memory Lease with the apiserver's optimistic concurrency (409 on a stale
// resourceVersion), with short durations.
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiException } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import {
  LeaderElector,
  type LeaseClient,
  type LeaseRecord,
  microTime,
  type StoredLease,
} from "../../../src/kube/leader-election.ts";
import { until } from "../../support/eventually.ts";

class MemoryLease {
  stored: StoredLease | undefined;
  version = 0;

  clientFor(): LeaseClient & { broken: boolean; hung: boolean; hungSignals: (AbortSignal | undefined)[] } {
    const lease = this;
    return {
      broken: false,
      hung: false,
      hungSignals: [],
      async get(signal) {
        if (this.broken) throw new Error("connect ECONNREFUSED");
        // A request on a connection gone silent: no answer, no error.
        if (this.hung) {
          this.hungSignals.push(signal);
          return new Promise<never>(() => {});
        }
        return lease.stored && structuredClone(lease.stored);
      },
      async create(record: LeaseRecord) {
        if (this.broken) throw new Error("connect ECONNREFUSED");
        if (lease.stored) throw new ApiException(409, "Conflict", "{}", {});
        lease.stored = { record, resourceVersion: String(++lease.version) };
      },
      async update(record: LeaseRecord, resourceVersion: string) {
        if (this.broken) throw new Error("connect ECONNREFUSED");
        if (lease.stored?.resourceVersion !== resourceVersion)
          throw new ApiException(409, "Conflict", "{}", {});
        lease.stored = { record, resourceVersion: String(++lease.version) };
      },
    };
  }
}

function candidate(lease: MemoryLease, identity: string, registry = new Registry()) {
  const client = lease.clientFor();
  const transitions: string[] = [];
  const elector = new LeaderElector({
    client,
    identity,
    name: "hourglass-operator",
    registry,
    logger: pino({ level: "silent" }),
    leaseDurationMs: 1_000,
    renewDeadlineMs: 300,
    retryPeriodMs: 50,
    onStartedLeading: () => {
      transitions.push("started");
    },
    onStoppedLeading: () => {
      transitions.push("stopped");
    },
  });
  return { elector, client, transitions, registry };
}

/** A candidate that has started and leads; stopped when the test ends. */
async function leader(t: TestContext, lease: MemoryLease, identity = "a") {
  const c = candidate(lease, identity);
  t.after(() => c.elector.stop());
  c.elector.start();
  await until(`${identity} leads`, () => c.elector.isLeader());
  return c;
}

async function masterStatus(registry: Registry): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === "hourglass_leader_election_master_status",
  );
  return metric?.values[0]?.value;
}

test("one of two candidates leads; the other takes over when the leader releases on stop", async (t) => {
  const lease = new MemoryLease();
  const a = candidate(lease, "a");
  const b = candidate(lease, "b");
  t.after(() => Promise.all([a.elector.stop(), b.elector.stop()]));
  a.elector.start();
  await until("a leads", () => a.elector.isLeader());
  b.elector.start();
  await sleep(200);
  assert.equal(b.elector.isLeader(), false);
  assert.equal(lease.stored?.record.holderIdentity, "a");
  assert.equal(lease.stored?.record.leaseDurationSeconds, 1);
  assert.equal(await masterStatus(a.registry), 1);
  assert.equal(await masterStatus(b.registry), 0);

  await a.elector.stop();
  assert.deepEqual(a.transitions, ["started", "stopped"]);
  assert.equal(await masterStatus(a.registry), 0);
  await until("b leads", () => b.elector.isLeader());
  assert.equal(lease.stored?.record.holderIdentity, "b");
  assert.equal(lease.stored?.record.leaseTransitions, 1);
});

test("a leader that dies without releasing is replaced once the lease expires", async (t) => {
  const lease = new MemoryLease();
  const a = candidate(lease, "a");
  const b = candidate(lease, "b");
  t.after(() => Promise.all([a.elector.stop(), b.elector.stop()]));
  a.elector.start();
  await until("a leads", () => a.elector.isLeader());
  b.elector.start();
  // a can no longer reach the apiserver: it stops renewing, and loses leadership after the renew deadline.
  a.client.broken = true;
  await until("a gives up", () => !a.elector.isLeader());
  assert.deepEqual(a.transitions, ["started", "stopped"]);
  await until("b leads", () => b.elector.isLeader());
  assert.equal(lease.stored?.record.holderIdentity, "b");
});

test("a leader whose renewals hang stops leading at the renew deadline, and stop() does not wait on them", async (t) => {
  const lease = new MemoryLease();
  const a = await leader(t, lease);
  a.client.hung = true;
  // Renew deadline 300 ms; without a bound on each request it would lead for as long as the request hangs.
  await until("a stops leading", () => !a.elector.isLeader(), 5_000);
  assert.deepEqual(a.transitions, ["started", "stopped"]);
  // Each request given up on was cancelled, not left hanging.
  assert.ok(a.client.hungSignals.length > 0);
  await until("the hung renewal's request is aborted", () => a.client.hungSignals[0]?.aborted === true);
  // Campaigning again, on requests that still hang: stop() ends that at once (the test would time out otherwise).
  await a.elector.stop();
  assert.equal(await masterStatus(a.registry), 0);
});

test("a leader stopped while its connection is silent stops without waiting on the release", async (t) => {
  const lease = new MemoryLease();
  const a = await leader(t, lease);
  a.client.hung = true;
  // Leading still (within the renew deadline); the release's request hangs like the renewal's.
  await a.elector.stop();
  assert.deepEqual(a.transitions, ["started", "stopped"]);
  assert.equal(lease.stored?.record.holderIdentity, "a", "not released: it expires on its own");
});

test("a leader keeps renewing the same lease: acquireTime stays, renewTime moves", async (t) => {
  const lease = new MemoryLease();
  await leader(t, lease);
  const first = structuredClone(lease.stored!.record);
  await until("a renewed", () => lease.stored!.record.renewTime !== first.renewTime);
  assert.equal(lease.stored!.record.acquireTime, first.acquireTime);
  assert.equal(lease.stored!.record.leaseTransitions, 0);
});

test("MicroTime has six fractional digits", () => {
  assert.equal(microTime(new Date("2026-11-28T10:00:00.123Z")), "2026-11-28T10:00:00.123000Z");
});

test("durations left undefined take the defaults: a 15 s lease", async (t) => {
  const lease = new MemoryLease();
  const elector = new LeaderElector({
    client: lease.clientFor(),
    identity: "a",
    name: "hourglass-operator",
    registry: new Registry(),
    logger: pino({ level: "silent" }),
    leaseDurationMs: undefined,
    renewDeadlineMs: undefined,
    retryPeriodMs: undefined,
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
  });
  t.after(() => elector.stop());
  elector.start();
  await until("a leads", () => elector.isLeader());
  assert.equal(lease.stored?.record.leaseDurationSeconds, 15);
});
