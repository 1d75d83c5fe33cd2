import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { executorHealthPort, executorLogsTarget } from "../../../src/doctor/executor-pod.ts";

/** An executor Pod as a Deployment's ReplicaSet makes it. */
function pod(ports: { name?: string; containerPort: number }[], owner?: string, hash?: string): V1Pod {
  return {
    metadata: {
      name: "my-avs-executor-5d9f7c6b8-x2x9q",
      labels: hash ? { "pod-template-hash": hash } : {},
      ownerReferences: owner
        ? [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: "u", controller: true }]
        : [],
    },
    spec: {
      containers: [
        { name: "sidecar", ports: [{ containerPort: 7000 }] },
        { name: "executor", ports },
      ],
    },
  };
}

test("/ready is asked on the container port named health, in whichever container", () => {
  const ports = [
    { name: "grpc", containerPort: 9000 },
    { name: "health", containerPort: 18090 },
  ];
  assert.equal(executorHealthPort(pod(ports)), 18090);
});

test("without a port named health, the executor's default 8090", () => {
  assert.equal(executorHealthPort(pod([{ containerPort: 9000 }])), 8090);
});

test("kubectl logs names the Deployment: the ReplicaSet's name less the template hash", () => {
  assert.equal(
    executorLogsTarget(pod([], "my-avs-executor-5d9f7c6b8", "5d9f7c6b8")),
    "deployment/my-avs-executor",
  );
});

test("a Pod of no ReplicaSet (or whose hash does not end its owner's name) is named itself", () => {
  assert.equal(executorLogsTarget(pod([])), "pod/my-avs-executor-5d9f7c6b8-x2x9q");
  assert.equal(executorLogsTarget(pod([], "other-rs", "5d9f7c6b8")), "pod/my-avs-executor-5d9f7c6b8-x2x9q");
});
