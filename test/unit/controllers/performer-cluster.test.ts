// The writes the controller sends: the merge patches (what they keep, replace and remove), and each request as
// the apiserver receives it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Service } from "@kubernetes/client-node";
import { apiPerformerCluster, servicePatch, statusPatch } from "../../../controllers/performer-cluster.ts";
import { performerPod } from "../../../controllers/performer-pod.ts";
import { performerService } from "../../../controllers/performer-service.ts";
import type { Performer } from "../../../src/api/performer.ts";
import { isConflict } from "../../../src/kube/api-errors.ts";
import { RecordingApiserver } from "../../support/recording-apiserver.ts";

test("a status patch carries the new status and nulls what the new one dropped", () => {
  const previous = {
    phase: "Running" as const,
    podName: "performer-a",
    endpoint: "e:9090",
    readyReplicas: 1,
  };
  const next = { phase: "Pending" as const, readyReplicas: 0 };
  assert.deepEqual(statusPatch(previous, next), {
    phase: "Pending",
    readyReplicas: 0,
    podName: null,
    endpoint: null,
  });
  assert.deepEqual(statusPatch(undefined, next), next);
});

test("a Service patch restores ports and selector, removing selector keys others added", () => {
  const existing: V1Service = {
    metadata: { name: "performer-a", labels: { team: "x" } },
    spec: {
      type: "ClusterIP",
      selector: { app: "other", "hourglass.eigenlayer.io/performer": "b" },
      ports: [{ port: 1 }],
    },
  };
  const desired: V1Service = {
    metadata: { name: "performer-a", labels: { "hourglass.eigenlayer.io/performer": "a" } },
    spec: {
      type: "ClusterIP",
      selector: { "hourglass.eigenlayer.io/performer": "a" },
      ports: [{ name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP" }],
    },
  };
  assert.deepEqual(servicePatch(existing, desired), {
    metadata: { labels: { "hourglass.eigenlayer.io/performer": "a" } },
    spec: {
      type: "ClusterIP",
      selector: { "hourglass.eigenlayer.io/performer": "a", app: null },
      ports: [{ name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP" }],
    },
  });
});

test("the reconciler's writes on the wire: paths, field manager, content types and bodies", async () => {
  const server = new RecordingApiserver();
  await server.start();
  try {
    const cluster = apiPerformerCluster(server.kubeConfig, "replica-1");
    const performer: Performer = {
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      metadata: { name: "a", namespace: "ns", uid: "uid-a", resourceVersion: "7" },
      spec: { avsAddress: "0x1", image: "img", version: "v1" },
    };
    const pod = performerPod(performer);
    const service = performerService(performer);
    const live = new AbortController().signal;
    const created = await cluster.createPod(pod, live);
    assert.deepEqual(created, pod);
    await cluster.createService(service, live);
    await cluster.patchService(
      { ...service, spec: { ...service.spec, selector: { x: "y" } } },
      service,
      live,
    );
    await cluster.writeStatus(performer, { phase: "Pending", podName: "p" }, { phase: "Running" }, live);
    await cluster.recordEvent(
      performer,
      { type: "Normal", reason: "CreatedPod", message: "Created Pod p" },
      live,
    );
    const seen = server.requests.map((r) => [
      r.method,
      r.path,
      r.query.fieldManager,
      r.headers["content-type"],
    ]);
    assert.deepEqual(seen, [
      ["POST", "/api/v1/namespaces/ns/pods", "hourglass-operator", "application/json"],
      ["POST", "/api/v1/namespaces/ns/services", "hourglass-operator", "application/json"],
      [
        "PATCH",
        "/api/v1/namespaces/ns/services/performer-a",
        "hourglass-operator",
        "application/merge-patch+json",
      ],
      [
        "PATCH",
        "/apis/hourglass.eigenlayer.io/v1alpha1/namespaces/ns/performers/a/status",
        "hourglass-operator",
        "application/merge-patch+json",
      ],
      ["POST", "/api/v1/namespaces/ns/events", undefined, "application/json"],
    ]);
    const [createPod, createService, patch, status, event] = server.requests.map((r) => r.body);
    assert.deepEqual(createPod, pod);
    assert.deepEqual(createService, service);
    assert.deepEqual((patch as { spec: { selector: unknown } }).spec.selector, {
      "hourglass.eigenlayer.io/performer": "a",
      x: null,
    });
    assert.deepEqual(status, { status: { phase: "Running", podName: null } });
    const recorded = event as Record<string, unknown> & { involvedObject: object; firstTimestamp: string };
    assert.deepEqual(recorded.involvedObject, {
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      name: "a",
      namespace: "ns",
      uid: "uid-a",
      resourceVersion: "7",
    });
    assert.equal(recorded.reason, "CreatedPod");
    assert.equal(recorded.reportingInstance, "replica-1");
    assert.ok(!Number.isNaN(Date.parse(recorded.firstTimestamp)));
  } finally {
    await server.stop();
  }
});

test("a refused create reaches the reconciler as the apiserver's status", async () => {
  const server = new RecordingApiserver();
  await server.start();
  try {
    server.answers.push({ status: 409, body: { kind: "Status", code: 409, message: "exists" } });
    const pod = performerPod({
      apiVersion: "hourglass.eigenlayer.io/v1alpha1",
      kind: "Performer",
      metadata: { name: "a", namespace: "ns", uid: "uid-a" },
      spec: { avsAddress: "0x1", image: "img", version: "v1" },
    });
    const error = await apiPerformerCluster(server.kubeConfig)
      .createPod(pod, new AbortController().signal)
      .catch((e: unknown) => e);
    assert.ok(isConflict(error));
  } finally {
    await server.stop();
  }
});
