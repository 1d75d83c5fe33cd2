// The merge patches the controller sends: what they keep, replace and remove.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Service } from "@kubernetes/client-node";
import { servicePatch, statusPatch } from "../../../controllers/performer-cluster.ts";

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
