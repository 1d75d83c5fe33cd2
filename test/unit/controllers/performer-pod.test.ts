// The Pod and Service a Performer asks for, field by field.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { isControlledBy } from "../../../controllers/owner.ts";
import { replacingPodEvent } from "../../../controllers/performer-events.ts";
import {
  ANNOTATION_SPEC_HASH,
  performerImage,
  performerPod,
  podReplacement,
} from "../../../controllers/performer-pod.ts";
import { performerService, serviceMatches } from "../../../controllers/performer-service.ts";
import type { Performer, PerformerSpec } from "../../../src/api/performer.ts";

const AVS = "0xABCDEF1234567890ABCDEF1234567890ABCDEF12";

function performer(spec: Partial<PerformerSpec> = {}, name = "my-avs"): Performer {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name, namespace: "avs-ns", uid: "5f1d1c9e-0000-4000-8000-000000000001", generation: 1 },
    spec: { avsAddress: AVS, image: "ghcr.io/layr-labs/perf", version: "v1.2.3", ...spec },
  };
}

function container(pod: V1Pod): V1Container {
  assert.equal(pod.spec?.containers.length, 1);
  return pod.spec!.containers[0]!;
}

describe("performerPod", () => {
  test("is named after the Performer, labelled, and controlled by it", () => {
    const pod = performerPod(performer());
    assert.equal(pod.metadata?.name, "performer-my-avs");
    assert.equal(pod.metadata?.namespace, "avs-ns");
    assert.deepEqual(pod.metadata?.labels, {
      "hourglass.eigenlayer.io/performer": "my-avs",
      "hourglass.eigenlayer.io/avs": AVS.toLowerCase(),
    });
    assert.deepEqual(pod.metadata?.ownerReferences, [
      {
        apiVersion: "hourglass.eigenlayer.io/v1alpha1",
        kind: "Performer",
        name: "my-avs",
        uid: "5f1d1c9e-0000-4000-8000-000000000001",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.ok(isControlledBy(pod, performer()));
  });

  test("a child of a deleted namesake (another uid) is not controlled by the new Performer", () => {
    const pod = performerPod(performer());
    const namesake = performer();
    namesake.metadata.uid = "5f1d1c9e-0000-4000-8000-000000000002";
    assert.equal(isControlledBy(pod, namesake), false);
  });

  for (const [image, version, expected] of [
    ["ghcr.io/layr-labs/perf", "v1.2.3", "ghcr.io/layr-labs/perf:v1.2.3"],
    ["ghcr.io/layr-labs/perf:v9", "v1.2.3", "ghcr.io/layr-labs/perf:v9"],
    ["localhost:5000/perf", "v2", "localhost:5000/perf:v2"],
    ["localhost:5000/perf:v3", "v2", "localhost:5000/perf:v3"],
    [`ghcr.io/x/perf@sha256:${"a".repeat(64)}`, "v2", `ghcr.io/x/perf@sha256:${"a".repeat(64)}`],
    ["busybox", undefined, "busybox"],
  ] as const) {
    test(`image ${image} with version ${version} runs ${expected}`, () => {
      assert.equal(performerImage(performer({ image, version }).spec), expected);
      assert.equal(container(performerPod(performer({ image, version }))).image, expected);
    });
  }

  test("serves gRPC on the configured port and probes the default HTTP health check", () => {
    const c = container(performerPod(performer({ config: { grpcPort: 7070 } })));
    assert.deepEqual(c.ports, [
      { name: "grpc", containerPort: 7070, protocol: "TCP" },
      { name: "health", containerPort: 8090, protocol: "TCP" },
    ]);
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: "/health", port: 8090 },
      initialDelaySeconds: 30,
      periodSeconds: 10,
    });
  });

  test("gRPC port defaults to 9090", () => {
    assert.equal(container(performerPod(performer())).ports?.[0]?.containerPort, 9090);
  });

  test("a grpc health check probes the gRPC port and opens no extra port", () => {
    const c = container(
      performerPod(
        performer({
          config: { grpcPort: 9191 },
          healthCheck: { type: "grpc", initialDelaySeconds: 5, periodSeconds: 3, failureThreshold: 4 },
        }),
      ),
    );
    assert.deepEqual(c.readinessProbe, {
      grpc: { port: 9191 },
      initialDelaySeconds: 5,
      periodSeconds: 3,
      failureThreshold: 4,
    });
    assert.deepEqual(
      c.ports?.map((p) => p.name),
      ["grpc"],
    );
  });

  test("a tcp health check connects to its port", () => {
    const c = container(
      performerPod(performer({ healthCheck: { type: "tcp", port: 7000, timeoutSeconds: 2 } })),
    );
    assert.deepEqual(c.readinessProbe, {
      tcpSocket: { port: 7000 },
      initialDelaySeconds: 30,
      periodSeconds: 10,
      timeoutSeconds: 2,
    });
    assert.equal(c.ports?.find((p) => p.name === "health")?.containerPort, 7000);
  });

  test("an http health check on the gRPC port declares the port once", () => {
    const c = container(
      performerPod(performer({ healthCheck: { type: "http", port: 9090, path: "/ready" } })),
    );
    assert.deepEqual(
      c.ports?.map((p) => p.containerPort),
      [9090],
    );
    assert.deepEqual(c.readinessProbe?.httpGet, { path: "/ready", port: 9090 });
  });

  test("env, including valueFrom, is passed through", () => {
    const env = [
      { name: "LOG_LEVEL", value: "debug" },
      { name: "KEY", valueFrom: { secretKeyRef: { name: "perf-secrets", key: "key" } } },
    ];
    assert.deepEqual(container(performerPod(performer({ config: { env } }))).env, env);
  });

  test("resources are kept, numbers written as quantities", () => {
    const c = container(
      performerPod(
        performer({
          resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: 2, memory: "4Gi" } },
        }),
      ),
    );
    assert.deepEqual(c.resources, {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
  });

  test("quantities are written as the apiserver stores them, so a re-spelling keeps the Pod", () => {
    const respelled = performerPod(
      performer({
        resources: { requests: { cpu: 0.5, memory: "1024Mi" }, limits: { cpu: "2000m", memory: "4096Mi" } },
      }),
    );
    const canonical = performerPod(
      performer({
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
      }),
    );
    assert.deepEqual(container(respelled).resources, {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
    assert.equal(
      respelled.metadata?.annotations?.[ANNOTATION_SPEC_HASH],
      canonical.metadata?.annotations?.[ANNOTATION_SPEC_HASH],
    );
  });

  test("a quantity that does not parse is passed on as written, for the apiserver to refuse", () => {
    const c = container(performerPod(performer({ resources: { requests: { cpu: "500mm" } } })));
    assert.deepEqual(c.resources, { requests: { cpu: "500mm" } });
  });

  test("gpuCount becomes an equal nvidia.com/gpu request and limit, and tolerates the GPU taint", () => {
    const pod = performerPod(
      performer({
        resources: { requests: { cpu: "1" } },
        hardwareRequirements: { gpuCount: 2, gpuType: "nvidia-a100" },
      }),
    );
    const c = container(pod);
    assert.equal(c.resources?.requests?.["nvidia.com/gpu"], "2");
    assert.equal(c.resources?.limits?.["nvidia.com/gpu"], "2");
    assert.equal(c.resources?.requests?.cpu, "1");
    assert.equal(pod.spec?.nodeSelector?.["hourglass.eigenlayer.io/gpu-type"], "nvidia-a100");
    assert.deepEqual(pod.spec?.tolerations, [
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
  });

  test("no GPUs: no GPU resource, toleration or selector", () => {
    const pod = performerPod(performer({ hardwareRequirements: { gpuCount: 0 } }));
    assert.equal(container(pod).resources, undefined);
    assert.equal(pod.spec?.tolerations, undefined);
    assert.equal(pod.spec?.nodeSelector, undefined);
  });

  test("a TEE requirement selects TEE nodes of the given type, alongside the author's node selector", () => {
    const pod = performerPod(
      performer({
        hardwareRequirements: { teeRequired: true, teeType: "sev" },
        scheduling: { nodeSelector: { "topology.kubernetes.io/zone": "eu-west-1a" } },
      }),
    );
    assert.deepEqual(pod.spec?.nodeSelector, {
      "topology.kubernetes.io/zone": "eu-west-1a",
      "hourglass.eigenlayer.io/tee": "true",
      "hourglass.eigenlayer.io/tee-type": "sev",
    });
  });

  test("scheduling: tolerations, affinity and runtime class are passed through", () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "pool", operator: "In", values: ["performers"] }] },
          ],
        },
      },
    };
    const tolerations = [
      { key: "dedicated", operator: "Equal" as const, value: "avs", effect: "NoSchedule" as const },
    ];
    const pod = performerPod(
      performer({ scheduling: { affinity, tolerations, runtimeClassName: "gvisor" } }),
    );
    assert.deepEqual(pod.spec?.affinity, affinity);
    assert.deepEqual(pod.spec?.tolerations, tolerations);
    assert.equal(pod.spec?.runtimeClassName, "gvisor");
  });

  test("pull policy, pull secrets and service account are passed through", () => {
    const pod = performerPod(
      performer({
        imagePullPolicy: "Always",
        imagePullSecrets: [{ name: "regcred" }],
        serviceAccountName: "perf",
      }),
    );
    assert.equal(container(pod).imagePullPolicy, "Always");
    assert.deepEqual(pod.spec?.imagePullSecrets, [{ name: "regcred" }]);
    assert.equal(pod.spec?.serviceAccountName, "perf");
    assert.equal(pod.spec?.automountServiceAccountToken, true);
    assert.equal(performerPod(performer()).spec?.automountServiceAccountToken, false);
  });

  test("runs as non-root with a read-only root filesystem and no capabilities", () => {
    const pod = performerPod(performer());
    const sc = container(pod).securityContext;
    assert.equal(pod.spec?.securityContext?.runAsNonRoot, true);
    assert.equal(sc?.runAsNonRoot, true);
    assert.equal(sc?.readOnlyRootFilesystem, true);
    assert.equal(sc?.allowPrivilegeEscalation, false);
    assert.deepEqual(sc?.capabilities, { drop: ["ALL"] });
    // Somewhere writable despite the read-only root.
    assert.deepEqual(container(pod).volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
  });

  test("the spec hash is stable for equal specs and changes with any field", () => {
    const hash = (p: Performer) => performerPod(p).metadata?.annotations?.[ANNOTATION_SPEC_HASH];
    const base = hash(performer());
    assert.match(base ?? "", /^[0-9a-f]{16}$/);
    assert.equal(hash(performer()), base);
    // Key order of user-supplied objects does not matter.
    const a = { nodeSelector: { a: "1", b: "2" } };
    const b = { nodeSelector: { b: "2", a: "1" } };
    assert.equal(hash(performer({ scheduling: a })), hash(performer({ scheduling: b })));
    for (const changed of [
      performer({ version: "v1.2.4" }),
      performer({ config: { grpcPort: 9091 } }),
      performer({ config: { env: [{ name: "A", value: "1" }] } }),
      performer({ resources: { limits: { memory: "2Gi" } } }),
      performer({ healthCheck: { type: "grpc" } }),
      performer({ avsAddress: "0x0000000000000000000000000000000000000001" }),
    ]) {
      assert.notEqual(hash(changed), base);
    }
  });

  test("the spec hash remembered for a spec object follows the Performer's name (the Pod's labels)", () => {
    const hash = (p: Performer) => performerPod(p).metadata?.annotations?.[ANNOTATION_SPEC_HASH];
    const one = performer({}, "one");
    const other = performer({}, "other");
    const expected = [hash(one), hash(other)];
    assert.notEqual(expected[0], expected[1]);
    // Two Performers holding the very same spec object, asked in turn: each gets its own hash every time.
    const shared = { ...one.spec };
    for (let round = 0; round < 2; round++) {
      assert.equal(hash({ ...one, spec: shared }), expected[0]);
      assert.equal(hash({ ...other, spec: shared }), expected[1]);
    }
  });
});

describe("podReplacement", () => {
  const desired = performerPod(performer());
  const withStatus = (status: V1Pod["status"]): V1Pod => ({ ...desired, status });
  /** The Event the reconciler records for a replacement. */
  const replacing = (existing: V1Pod) => {
    const replacement = podReplacement(existing, desired);
    return replacement && replacingPodEvent(existing.metadata?.name, replacement);
  };

  test("a running Pod of the current spec stays", () => {
    assert.equal(podReplacement(withStatus({ phase: "Running" }), desired), undefined);
    assert.equal(podReplacement(withStatus(undefined), desired), undefined);
  });

  test("a Pod of another spec gives way, with a Normal Event naming both hashes", () => {
    const stale = performerPod(performer({ version: "v0.9.0" }));
    const event = replacing(stale);
    assert.equal(event?.type, "Normal");
    assert.equal(event?.reason, "ReplacingPod");
    assert.ok(event?.message.includes(stale.metadata!.annotations![ANNOTATION_SPEC_HASH]!));
    assert.ok(event?.message.includes(desired.metadata!.annotations![ANNOTATION_SPEC_HASH]!));
  });

  test("a Pod that has ended gives way, with a Warning that quotes why it ended", () => {
    const evicted = replacing(
      withStatus({ phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." }),
    );
    assert.deepEqual(evicted, {
      type: "Warning",
      reason: "ReplacingPod",
      message:
        "Pod performer-my-avs has ended (Failed, Evicted: The node was low on resource: memory.): deleting it to recreate it",
    });
    assert.match(
      replacing(withStatus({ phase: "Succeeded" }))?.message ?? "",
      /has ended \(Succeeded, no reason given\)/,
    );
  });
});

describe("performerService", () => {
  test("selects the Performer's Pod and forwards the gRPC port by name", () => {
    const svc = performerService(performer({ config: { grpcPort: 7070 } }));
    assert.equal(svc.metadata?.name, "performer-my-avs");
    assert.equal(svc.metadata?.namespace, "avs-ns");
    assert.deepEqual(svc.spec?.selector, { "hourglass.eigenlayer.io/performer": "my-avs" });
    assert.deepEqual(svc.spec?.ports, [{ name: "grpc", port: 7070, targetPort: "grpc", protocol: "TCP" }]);
    assert.equal(svc.spec?.type, "ClusterIP");
    assert.equal(svc.metadata?.ownerReferences?.[0]?.controller, true);
    assert.equal(svc.metadata?.labels?.["hourglass.eigenlayer.io/avs"], AVS.toLowerCase());
  });

  test("a Service as the apiserver returns it (defaults filled in) matches; a changed port does not", () => {
    const desired = performerService(performer());
    const stored = {
      ...desired,
      metadata: {
        ...desired.metadata,
        uid: "u",
        resourceVersion: "7",
        labels: { ...desired.metadata?.labels, team: "x" },
      },
      spec: {
        ...desired.spec,
        clusterIP: "10.0.0.12",
        clusterIPs: ["10.0.0.12"],
        sessionAffinity: "None",
        internalTrafficPolicy: "Cluster",
        ports: [{ name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP" }],
      },
    };
    assert.ok(serviceMatches(stored, desired));
    assert.equal(serviceMatches(stored, performerService(performer({ config: { grpcPort: 9091 } }))), false);
    const relabelled = { ...stored, metadata: { ...stored.metadata, labels: { team: "x" } } };
    assert.equal(serviceMatches(relabelled, desired), false);
    const reselected = { ...stored, spec: { ...stored.spec, selector: { app: "other" } } };
    assert.equal(serviceMatches(reselected, desired), false);
  });
});
