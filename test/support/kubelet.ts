// Plays the parts of the kubelet (and the scheduler) for tests that run no node (test/controlplane/node.ts): a Node
// object with nothing behind it, the Pod statuses they would write, shaped as they write them (field for field,
// messages as they phrase them), and a writer that puts one on a Pod through the pods/status subresource, as
// envtest-based tests do.
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodStatus,
} from "@kubernetes/client-node";
import { apiStatusCode } from "../../src/kube/api-errors.ts";

const CONTAINER = "performer";

/** RFC 3339, whole seconds, as metav1.Time serializes. The client's model types say Date, but on the wire (and
 * in what a watch delivers) a timestamp is this string. */
function time(date: Date): Date {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z") as unknown as Date;
}

function imageOf(pod: V1Pod): string {
  return pod.spec?.containers.find((c) => c.name === CONTAINER)?.image ?? "";
}

function podRef(pod: V1Pod): string {
  return `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
}

function conditions(at: Date, ready: boolean): V1PodStatus["conditions"] {
  const t = time(at);
  const unready = ready
    ? {}
    : { reason: "ContainersNotReady", message: `containers with unready status: [${CONTAINER}]` };
  return [
    { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: t },
    { type: "Initialized", status: "True", lastTransitionTime: t },
    { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: t, ...unready },
    { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: t, ...unready },
    { type: "PodScheduled", status: "True", lastTransitionTime: t },
  ];
}

/** Written by the scheduler when no node fits. */
export function unschedulableStatus(
  message = "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
  at = new Date(),
): V1PodStatus {
  return {
    phase: "Pending",
    conditions: [
      {
        type: "PodScheduled",
        status: "False",
        reason: "Unschedulable",
        message,
        lastTransitionTime: time(at),
      },
    ],
  };
}

/** Started and passing its readiness probe. */
export function runningReadyStatus(pod: V1Pod, startedAt = new Date()): V1PodStatus {
  return {
    phase: "Running",
    hostIP: "198.18.0.1",
    podIP: "198.18.0.23",
    startTime: time(startedAt),
    conditions: conditions(startedAt, true),
    containerStatuses: [
      {
        name: CONTAINER,
        image: imageOf(pod),
        imageID: `${imageOf(pod)}@sha256:${"ab".repeat(32)}`,
        containerID: `containerd://${"cd".repeat(32)}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: time(startedAt) } },
      },
    ],
  };
}

/** Running, but its readiness probe keeps failing (the probe's own message goes to an Event, not the status). */
export function readinessFailingStatus(pod: V1Pod, startedAt: Date): V1PodStatus {
  const status = runningReadyStatus(pod, startedAt);
  return {
    ...status,
    conditions: conditions(startedAt, false),
    containerStatuses: status.containerStatuses!.map((c) => ({ ...c, ready: false })),
  };
}

/** The image cannot be pulled: `ErrImagePull` on the first failure, `ImagePullBackOff` while the kubelet waits. */
export function imagePullFailingStatus(
  pod: V1Pod,
  reason: "ImagePullBackOff" | "ErrImagePull" = "ImagePullBackOff",
  at = new Date(),
): V1PodStatus {
  const image = imageOf(pod);
  const message =
    reason === "ImagePullBackOff"
      ? `Back-off pulling image "${image}": ErrImagePull: failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`
      : `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`;
  return {
    phase: "Pending",
    hostIP: "198.18.0.1",
    podIP: "198.18.0.23",
    startTime: time(at),
    conditions: conditions(at, false),
    containerStatuses: [
      {
        name: CONTAINER,
        image,
        imageID: "",
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      },
    ],
  };
}

/** The container exits soon after each start; the kubelet backs off before the next restart. */
export function crashLoopStatus(pod: V1Pod, at = new Date(), exitCode = 1): V1PodStatus {
  const status = runningReadyStatus(pod, at);
  return {
    ...status,
    conditions: conditions(at, false),
    containerStatuses: status.containerStatuses!.map((c) => ({
      ...c,
      ready: false,
      started: false,
      restartCount: 4,
      state: {
        waiting: {
          reason: "CrashLoopBackOff",
          message: `back-off 1m20s restarting failed container=${CONTAINER} pod=${podRef(pod)}`,
        },
      },
      lastState: {
        terminated: {
          exitCode,
          reason: "Error",
          startedAt: time(at),
          finishedAt: time(at),
          containerID: c.containerID,
        },
      },
    })),
  };
}

/** Evicted under node memory pressure: the kubelet ends the Pod for good (phase Failed), whatever its restartPolicy. */
export function evictedStatus(pod: V1Pod, at = new Date()): V1PodStatus {
  const status = runningReadyStatus(pod, at);
  return {
    ...status,
    phase: "Failed",
    reason: "Evicted",
    message: `The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container ${CONTAINER} was using 1200Mi, request is 1Gi, has larger consumption of memory. `,
    conditions: [
      {
        type: "DisruptionTarget",
        status: "True",
        reason: "TerminationByKubelet",
        message: "The node was low on resource: memory.",
        lastTransitionTime: time(at),
      },
      ...(conditions(at, false) ?? []),
    ],
    containerStatuses: status.containerStatuses!.map((c) => ({
      ...c,
      ready: false,
      started: false,
      state: {
        terminated: {
          exitCode: 137,
          reason: "Error",
          startedAt: time(at),
          finishedAt: time(at),
          containerID: c.containerID,
        },
      },
    })),
  };
}

/** Writes `status` on the Pod through pods/status, replacing what the fields it names held. */
export async function writePodStatus(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
  status: V1PodStatus,
): Promise<V1Pod> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return core.patchNamespacedPodStatus(
    { name, namespace, body: { status } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/**
 * A Node object with no kubelet behind it, for Pods to be bound to as the scheduler would (the EndpointSlice
 * controller lists only Pods on a Node it knows). The returned function deletes it: left behind, it would count in
 * every later scheduler message ("0/3 nodes are available") and in `kubectl get nodes` of other test files.
 */
export async function standInNode(kubeConfig: KubeConfig, name: string): Promise<() => Promise<void>> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNode({ body: { metadata: { name } } }).catch((error: unknown) => {
    if (apiStatusCode(error) !== 409) throw error;
  });
  return async () => {
    await core.deleteNode({ name }).catch((error: unknown) => {
      if (apiStatusCode(error) !== 404) throw error;
    });
  };
}
