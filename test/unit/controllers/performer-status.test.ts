// Performer status from Pod states, the Pod statuses written as the kubelet and scheduler write them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Pod, V1PodStatus, V1Service } from "@kubernetes/client-node";
import { statusTransitionEvents } from "../../../controllers/performer-events.ts";
import { performerPod } from "../../../controllers/performer-pod.ts";
import { performerService } from "../../../controllers/performer-service.ts";
import { performerStatus, startupGraceRemainingMs } from "../../../controllers/performer-status.ts";
import type {
  Performer,
  PerformerCondition,
  PerformerSpec,
  PerformerStatus,
} from "../../../src/api/performer.ts";
import {
  crashLoopStatus,
  imagePullFailingStatus,
  readinessFailingStatus,
  runningReadyStatus,
  unschedulableStatus,
} from "../../support/kubelet.ts";

const NOW = new Date("2026-11-28T10:00:00Z");
const LONG_AGO = new Date("2026-11-28T09:00:00Z");

function performer(spec: Partial<PerformerSpec> = {}, status?: PerformerStatus): Performer {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name: "my-avs", namespace: "avs-ns", uid: "uid-1", generation: 3 },
    spec: {
      avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
      image: "ghcr.io/x/perf",
      version: "v1",
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function podWith(p: Performer, status: (pod: V1Pod) => V1PodStatus): V1Pod {
  const pod = performerPod(p);
  pod.metadata = { ...pod.metadata, uid: "pod-uid" };
  return { ...pod, status: status(pod) };
}

function service(p: Performer): V1Service {
  return performerService(p);
}

function condition(status: PerformerStatus, type: string): PerformerCondition {
  const found = status.conditions?.find((c) => c.type === type);
  assert.ok(found, `condition ${type} is missing from ${JSON.stringify(status.conditions)}`);
  return found;
}

describe("performerStatus", () => {
  test("no Pod yet: Pending, not ready, no endpoint", () => {
    const status = performerStatus(performer(), {}, NOW);
    assert.equal(status.phase, "Pending");
    assert.equal(condition(status, "Ready").status, "False");
    assert.equal(condition(status, "Ready").reason, "PodNotCreated");
    assert.equal(status.readyReplicas, 0);
    assert.equal(status.podName, undefined);
    assert.equal(status.endpoint, undefined);
    assert.equal(status.observedGeneration, 3);
    for (const c of status.conditions ?? []) {
      assert.equal(c.observedGeneration, 3);
      assert.equal(c.lastTransitionTime, "2026-11-28T10:00:00Z");
    }
  });

  test("Pod Running and Ready behind its Service: Running, endpoint and names set", () => {
    const p = performer({ config: { grpcPort: 7070 } });
    const status = performerStatus(
      p,
      { pod: podWith(p, (pod) => runningReadyStatus(pod, LONG_AGO)), service: service(p) },
      NOW,
    );
    assert.equal(status.phase, "Running");
    assert.equal(status.readyReplicas, 1);
    assert.equal(status.podName, "performer-my-avs");
    assert.equal(status.serviceName, "performer-my-avs");
    assert.equal(status.endpoint, "performer-my-avs.avs-ns.svc.cluster.local:7070");
    for (const type of ["Ready", "Scheduled", "ImageAvailable", "ContainerRunning"]) {
      assert.equal(condition(status, type).status, "True", type);
    }
    assert.match(condition(status, "Ready").message, /performer-my-avs\.avs-ns\.svc\.cluster\.local:7070/);
    assert.equal(status.lastHealthCheck, "2026-11-28T09:00:00Z");
  });

  test("ready Pod but no Service yet: not ready", () => {
    const p = performer();
    const status = performerStatus(p, { pod: podWith(p, (pod) => runningReadyStatus(pod, LONG_AGO)) }, NOW);
    assert.equal(status.phase, "Pending");
    assert.equal(condition(status, "Ready").reason, "ServiceNotCreated");
  });

  test("Pending and Unschedulable: Scheduled=False quoting the scheduler", () => {
    const p = performer();
    const message = "0/3 nodes are available: 3 Insufficient cpu.";
    const status = performerStatus(
      p,
      { pod: podWith(p, () => unschedulableStatus(message)), service: service(p) },
      NOW,
    );
    assert.equal(status.phase, "Pending");
    const scheduled = condition(status, "Scheduled");
    assert.equal(scheduled.status, "False");
    assert.equal(scheduled.reason, "Unschedulable");
    assert.ok(scheduled.message.includes(message), scheduled.message);
    assert.equal(condition(status, "Ready").reason, "Unschedulable");
    assert.equal(condition(status, "ImageAvailable").status, "Unknown");
  });

  for (const reason of ["ImagePullBackOff", "ErrImagePull"] as const) {
    test(`${reason}: ImageAvailable=False quoting the kubelet, phase Pending`, () => {
      const p = performer({ image: "ghcr.io/x/missing" });
      const pod = podWith(p, (pod) => imagePullFailingStatus(pod, reason));
      const status = performerStatus(p, { pod, service: service(p) }, NOW);
      const image = condition(status, "ImageAvailable");
      assert.equal(image.status, "False");
      assert.equal(image.reason, reason);
      const kubeletMessage = pod.status?.containerStatuses?.[0]?.state?.waiting?.message ?? "";
      assert.ok(image.message.includes(kubeletMessage), image.message);
      assert.ok(image.message.includes("ghcr.io/x/missing:v1"));
      assert.equal(condition(status, "Ready").reason, reason);
      assert.equal(status.phase, "Pending");
    });
  }

  test("CrashLoopBackOff: Failed, ContainerRunning=False quoting the back-off and the last exit", () => {
    const p = performer();
    const pod = podWith(p, (pod) => crashLoopStatus(pod, LONG_AGO, 3));
    const status = performerStatus(p, { pod, service: service(p) }, NOW);
    assert.equal(status.phase, "Failed");
    const running = condition(status, "ContainerRunning");
    assert.equal(running.status, "False");
    assert.equal(running.reason, "CrashLoopBackOff");
    assert.ok(
      running.message.includes("back-off 1m20s restarting failed container=performer"),
      running.message,
    );
    assert.ok(running.message.includes("exit code 3"), running.message);
    assert.equal(condition(status, "ImageAvailable").status, "True");
  });

  test("readiness failing past the startup grace: Unhealthy, naming the probe and quoting the Pod", () => {
    const p = performer({ healthCheck: { type: "http", path: "/health", port: 8090 } });
    const pod = podWith(p, (pod) => readinessFailingStatus(pod, LONG_AGO));
    const status = performerStatus(p, { pod, service: service(p) }, NOW);
    assert.equal(status.phase, "Unhealthy");
    const ready = condition(status, "Ready");
    assert.equal(ready.reason, "ReadinessProbeFailed");
    assert.ok(ready.message.includes("HTTP GET /health on port 8090"), ready.message);
    assert.ok(ready.message.includes("containers with unready status: [performer]"), ready.message);
    assert.equal(condition(status, "ContainerRunning").status, "True");
    assert.equal(startupGraceRemainingMs(p, pod, NOW), undefined);
  });

  test("not ready yet within initialDelay + period x threshold of the start: Pending, recheck when it ends", () => {
    const p = performer({
      healthCheck: { type: "grpc", initialDelaySeconds: 10, periodSeconds: 5, failureThreshold: 2 },
    });
    const startedAt = new Date(NOW.getTime() - 12_000);
    const pod = podWith(p, (pod) => readinessFailingStatus(pod, startedAt));
    const status = performerStatus(p, { pod, service: service(p) }, NOW);
    assert.equal(status.phase, "Pending");
    assert.equal(condition(status, "Ready").reason, "Starting");
    // 10 s + 5 s x 2 after the start, 12 s of which have passed.
    assert.equal(startupGraceRemainingMs(p, pod, NOW), 8_000);
    const later = new Date(NOW.getTime() + 8_000);
    assert.equal(performerStatus(p, { pod, service: service(p) }, later).phase, "Unhealthy");
  });

  test("a missing Secret in env: CreateContainerConfigError makes it Failed", () => {
    const p = performer();
    const pod = podWith(p, (pod) => {
      const s = imagePullFailingStatus(pod);
      s.containerStatuses![0]!.state = {
        waiting: { reason: "CreateContainerConfigError", message: 'secret "perf-secrets" not found' },
      };
      return s;
    });
    const status = performerStatus(p, { pod, service: service(p) }, NOW);
    assert.equal(status.phase, "Failed");
    assert.equal(condition(status, "ContainerRunning").reason, "CreateContainerConfigError");
    assert.ok(condition(status, "Ready").message.includes('secret "perf-secrets" not found'));
  });

  test("a child problem (apiserver refusal, or not ours) is the Ready reason and fails the phase", () => {
    const p = performer();
    const status = performerStatus(
      p,
      {
        podProblem: {
          reason: "PodConflict",
          message: "Pod performer-my-avs exists and is not controlled by this Performer",
        },
      },
      NOW,
    );
    assert.equal(status.phase, "Failed");
    assert.equal(condition(status, "Ready").reason, "PodConflict");
  });

  test("a Pod being deleted (replaced) leaves the Performer Pending", () => {
    const p = performer();
    const pod = podWith(p, (pod) => runningReadyStatus(pod, LONG_AGO));
    pod.metadata!.deletionTimestamp = NOW;
    const status = performerStatus(p, { pod, service: service(p) }, NOW);
    assert.equal(status.phase, "Pending");
    assert.equal(condition(status, "Ready").reason, "PodTerminating");
  });

  test("a Performer being deleted is Terminating", () => {
    const p = performer();
    p.metadata.deletionTimestamp = NOW;
    assert.equal(performerStatus(p, {}, NOW).phase, "Terminating");
  });

  test("lastTransitionTime is kept while a condition's status holds, and moves when it changes", () => {
    const p = performer();
    const pending = podWith(p, () => unschedulableStatus("0/3 nodes are available: 3 Insufficient cpu."));
    const first = performerStatus(p, { pod: pending, service: service(p) }, LONG_AGO);
    const again = performerStatus(performer({}, first), { pod: pending, service: service(p) }, NOW);
    assert.deepEqual(again, first);
    const ready = podWith(p, (pod) => runningReadyStatus(pod, NOW));
    const after = performerStatus(performer({}, first), { pod: ready, service: service(p) }, NOW);
    assert.equal(condition(after, "Scheduled").lastTransitionTime, "2026-11-28T10:00:00Z");
    assert.equal(condition(first, "Scheduled").lastTransitionTime, "2026-11-28T09:00:00Z");
  });
});

describe("statusTransitionEvents", () => {
  test("a failure gets one Warning Event quoting the cause, and none on the next resync", () => {
    const p = performer();
    const pod = podWith(p, () => unschedulableStatus("0/3 nodes are available: 3 Insufficient cpu."));
    const before = performerStatus(p, {}, LONG_AGO);
    const after = performerStatus(performer({}, before), { pod, service: service(p) }, NOW);
    const events = statusTransitionEvents(before, after);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]?.type, "Warning");
    assert.equal(events[0]?.reason, "Unschedulable");
    assert.ok(events[0]?.message.includes("0/3 nodes are available: 3 Insufficient cpu."));
    const resync = performerStatus(performer({}, after), { pod, service: service(p) }, NOW);
    assert.deepEqual(statusTransitionEvents(after, resync), []);
  });

  test("becoming ready is a Normal Event; progress (no Pod yet) is none", () => {
    const p = performer();
    const none = performerStatus(p, {}, LONG_AGO);
    assert.deepEqual(statusTransitionEvents(undefined, none), []);
    const pod = podWith(p, (pod) => runningReadyStatus(pod, NOW));
    const ready = performerStatus(performer({}, none), { pod, service: service(p) }, NOW);
    assert.deepEqual(
      statusTransitionEvents(none, ready).map((e) => [e.type, e.reason]),
      [["Normal", "Ready"]],
    );
  });

  test("from one failure to another: an Event for the new cause", () => {
    const p = performer();
    const pulling = podWith(p, (pod) => imagePullFailingStatus(pod, "ErrImagePull"));
    const backoff = podWith(p, (pod) => imagePullFailingStatus(pod, "ImagePullBackOff"));
    const first = performerStatus(p, { pod: pulling, service: service(p) }, LONG_AGO);
    const second = performerStatus(performer({}, first), { pod: backoff, service: service(p) }, NOW);
    assert.deepEqual(
      statusTransitionEvents(first, second).map((e) => e.reason),
      ["ImagePullBackOff"],
    );
  });
});
