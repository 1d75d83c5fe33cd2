// The controller's caches keep less of each object than the apiserver sends: every decision taken from the
// reduced object must be the one taken from the object as received.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ManagedFieldsEntry, V1Pod, V1PodStatus, V1Service } from "@kubernetes/client-node";
import { isControlledBy } from "../../../controllers/owner.ts";
import { cachedPerformer, cachedPod, cachedService } from "../../../controllers/performer-child-cache.ts";
import { servicePatch } from "../../../controllers/performer-cluster.ts";
import { performerPod, podReplacement } from "../../../controllers/performer-pod.ts";
import { performerService, serviceMatches } from "../../../controllers/performer-service.ts";
import { performerStatus, startupGraceRemainingMs } from "../../../controllers/performer-status.ts";
import type { Performer } from "../../../src/api/performer.ts";
import { LAST_APPLIED_ANNOTATION } from "../../../src/kube/cache-transforms.ts";
import {
  crashLoopStatus,
  evictedStatus,
  imagePullFailingStatus,
  readinessFailingStatus,
  runningReadyStatus,
  unschedulableStatus,
} from "../../support/kubelet.ts";

const NOW = new Date("2026-11-28T10:00:00Z");
const STARTED = new Date("2026-11-28T09:59:30Z");

const managedFields: V1ManagedFieldsEntry[] = [
  {
    manager: "hourglass-operator",
    operation: "Update",
    apiVersion: "v1",
    time: "2026-11-28T09:59:00Z" as unknown as Date,
    fieldsType: "FieldsV1",
    fieldsV1: { "f:metadata": { "f:labels": { ".": {} } }, "f:spec": { "f:containers": {} } },
  },
];

const performer: Performer = {
  apiVersion: "hourglass.eigenlayer.io/v1alpha1",
  kind: "Performer",
  metadata: {
    name: "p",
    namespace: "ns",
    uid: "performer-uid",
    generation: 2,
    resourceVersion: "41",
    annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{}}', team: "avs" },
    managedFields,
  },
  spec: { avsAddress: "0x1234567890abcdef1234567890abcdef12345678", image: "ghcr.io/x/perf", version: "v1" },
};

/** The Pod as the apiserver returns it: what the controller asked for, plus what admission and the node add. */
function storedPod(status?: V1PodStatus, deleting = false): V1Pod {
  const pod = performerPod(performer);
  const spec = pod.spec!;
  return {
    apiVersion: "v1",
    kind: "Pod",
    ...pod,
    metadata: {
      ...pod.metadata,
      uid: "pod-uid",
      resourceVersion: "42",
      creationTimestamp: "2026-11-28T09:59:00Z" as unknown as Date,
      ...(deleting ? { deletionTimestamp: NOW } : {}),
      managedFields,
    },
    spec: {
      ...spec,
      nodeName: status ? "node-1" : undefined,
      serviceAccountName: "default",
      volumes: [
        { name: "kube-api-access-x", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
      ],
      containers: spec.containers.map((c) => ({
        ...c,
        terminationMessagePath: "/dev/termination-log",
        volumeMounts: [
          { name: "kube-api-access-x", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
        ],
      })),
      tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" }],
    },
    ...(status ? { status: { ...status, hostIP: "198.18.0.2", qosClass: "Burstable" } } : {}),
  };
}

const pods: Record<string, V1Pod> = {
  "not scheduled yet": storedPod(),
  unschedulable: storedPod(unschedulableStatus(undefined, NOW)),
  "running and ready": storedPod(runningReadyStatus(performerPod(performer), STARTED)),
  "readiness failing": storedPod(readinessFailingStatus(performerPod(performer), STARTED)),
  "image pull failing": storedPod(imagePullFailingStatus(performerPod(performer), "ImagePullBackOff", NOW)),
  "crash looping": storedPod(crashLoopStatus(performerPod(performer), NOW)),
  evicted: storedPod(evictedStatus(performerPod(performer), NOW)),
  terminating: storedPod(runningReadyStatus(performerPod(performer), STARTED), true),
};

for (const [state, pod] of Object.entries(pods)) {
  test(`a cached Pod (${state}) decides status, requeue, replacement and ownership as the stored one does`, () => {
    const cached = cachedPod(pod);
    const service = cachedService(performerService(performer));
    assert.deepEqual(
      performerStatus(performer, { pod: cached, service }, NOW),
      performerStatus(performer, { pod, service: performerService(performer) }, NOW),
    );
    assert.equal(
      startupGraceRemainingMs(performer, cached, NOW),
      startupGraceRemainingMs(performer, pod, NOW),
    );
    const desired = performerPod({ ...performer, spec: { ...performer.spec, version: "v2" } });
    assert.deepEqual(podReplacement(cached, desired), podReplacement(pod, desired));
    assert.deepEqual(
      podReplacement(cached, performerPod(performer)),
      podReplacement(pod, performerPod(performer)),
    );
    assert.equal(isControlledBy(cached, performer), true);
    assert.equal(cached.metadata?.managedFields, undefined);
    assert.equal(cached.spec?.volumes, undefined);
  });
}

test("a cached Service matches, and patches, as the stored one does", () => {
  const desired = performerService(performer);
  const stored: V1Service = {
    ...desired,
    metadata: { ...desired.metadata, uid: "svc-uid", resourceVersion: "43", managedFields },
    spec: {
      ...desired.spec,
      clusterIP: "198.19.0.10",
      clusterIPs: ["198.19.0.10"],
      ipFamilies: ["IPv4"],
      sessionAffinity: "None",
    },
    status: { loadBalancer: {} },
  };
  const drifted: V1Service = { ...stored, spec: { ...stored.spec, selector: { app: "other" } } };
  for (const service of [stored, drifted]) {
    const cached = cachedService(service);
    assert.equal(serviceMatches(cached, desired), serviceMatches(service, desired));
    assert.deepEqual(servicePatch(cached, desired), servicePatch(service, desired));
    assert.equal(cached.metadata?.managedFields, undefined);
    assert.equal(cached.spec?.clusterIP, undefined);
  }
  assert.equal(serviceMatches(cachedService(drifted), desired), false);
});

test("a cached Performer keeps its spec, status and annotations but not managedFields or the last-applied copy", () => {
  const cached = cachedPerformer(performer);
  assert.deepEqual(cached.spec, performer.spec);
  assert.deepEqual(cached.metadata.annotations, { team: "avs" });
  assert.equal(cached.metadata.managedFields, undefined);
  assert.equal(cached.metadata.uid, "performer-uid");
  // The object received is left as it was.
  assert.equal(performer.metadata.managedFields, managedFields);
});
