// The wait for a Performer to become Ready, against a recording fake of the store's events.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Performer } from "../../../src/api/performer.ts";
import { readinessOf, waitUntilReady } from "../../../src/executor/performer-readiness.ts";
import { fakePerformerStore, NAMESPACE, readyStatus } from "../../support/fake-performer-store.ts";

function performer(name: string): Performer {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name, namespace: NAMESPACE, generation: 2 },
    spec: { avsAddress: "0x1111111111111111111111111111111111111111", image: "i" },
  };
}

const notReady = (name: string): Performer => ({
  ...performer(name),
  status: {
    phase: "Pending",
    conditions: [
      {
        type: "Ready",
        status: "False",
        reason: "ImagePullBackOff",
        message: "pull failed",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ],
  },
});

function waiting(timeoutMs = 5_000) {
  const fake = fakePerformerStore();
  const abort = new AbortController();
  const wait = (name: string) =>
    waitUntilReady(fake.store, name, { namespace: NAMESPACE, timeoutMs, signal: abort.signal });
  return { ...fake, abort, wait };
}

describe("readiness of a Performer", () => {
  it("resolves at once for a Performer already Ready in the cache, and stops listening", async () => {
    const w = waiting();
    w.deliver(readyStatus(performer("p")), "add");
    const got = await w.wait("p");
    assert.equal(got.status?.phase, "Running");
    assert.equal(w.listeners.size, 0);
  });

  it("waits for the Ready event of that Performer, ignoring others", async () => {
    const w = waiting();
    w.deliver(notReady("p"), "add");
    let settled = false;
    const wait = w.wait("p").finally(() => {
      settled = true;
    });
    w.deliver(readyStatus(performer("other")), "add");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    assert.equal(w.listeners.size, 1);
    w.deliver(readyStatus(performer("p")), "update");
    assert.equal((await wait).metadata.name, "p");
    assert.equal(w.listeners.size, 0);
  });

  it("rejects when the Performer is deleted, or Failed, naming why", async () => {
    const w = waiting();
    const deleted = w.wait("p");
    w.deliver(performer("p"), "delete");
    await assert.rejects(deleted, /^Error: Performer avs-ns\/p was deleted while starting$/);

    const failed = w.wait("q");
    w.deliver({ ...notReady("q"), status: { ...notReady("q").status, phase: "Failed" } }, "update");
    await assert.rejects(
      failed,
      /^Error: Performer avs-ns\/q failed: Ready=False \(ImagePullBackOff: pull failed\)$/,
    );
    assert.equal(w.listeners.size, 0);
  });

  it("rejects after startup_timeout with what the conditions say", async () => {
    const w = waiting(50);
    w.deliver(notReady("p"), "add");
    await assert.rejects(
      w.wait("p"),
      /^Error: Performer avs-ns\/p is not Ready after 50 ms \(performer_config\.startup_timeout\): Ready=False \(ImagePullBackOff: pull failed\)$/,
    );
    await assert.rejects(waiting(10).wait("gone"), /not Ready after 10 ms .*: it does not exist$/);
    assert.equal(w.listeners.size, 0);
  });

  it("ends when its signal is aborted, and does not start when it already was", async () => {
    const w = waiting();
    const wait = w.wait("p");
    w.abort.abort();
    await assert.rejects(wait, /executor shutting down before Performer p was Ready/);
    assert.equal(w.listeners.size, 0);
    await assert.rejects(w.wait("p"), /executor shutting down/);
    assert.equal(w.listeners.size, 0);
  });

  it("does not take a Ready condition computed for an older spec", () => {
    const stale = readyStatus(performer("p"));
    stale.status!.conditions![0]!.observedGeneration = 1;
    assert.equal(readinessOf(stale, "update"), undefined);
    assert.deepEqual(readinessOf(readyStatus(performer("p")), "resync"), {
      ready: readyStatus(performer("p")),
    });
    assert.equal(readinessOf(notReady("p"), "add"), undefined);
  });
});
