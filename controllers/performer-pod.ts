// The Pod a Performer asks for. Pure: the reconciler compares it with what exists (through the spec hash) and
// creates or replaces the Pod; nothing here talks to the cluster.
import { createHash } from "node:crypto";
import type {
  V1Container,
  V1ContainerPort,
  V1Pod,
  V1PodSpec,
  V1Probe,
  V1ResourceRequirements,
  V1Toleration,
} from "@kubernetes/client-node";
import { imageParts } from "../src/api/image-reference.ts";
import { PERFORMER_CONTAINER, type Performer, type PerformerSpec } from "../src/api/performer.ts";
import { grpcPortOf, healthCheckOf } from "../src/api/performer-defaults.ts";
import { formatQuantity, quantityText, tryParseQuantity } from "../src/api/quantity.ts";
import { canonicalJson } from "../src/kube/canonical-json.ts";
import { performerChildMetadata } from "./owner.ts";

/** Hash of the desired Pod; a Pod whose hash differs from the Performer's is replaced (a Pod spec is immutable). */
export const ANNOTATION_SPEC_HASH = "hourglass.eigenlayer.io/spec-hash";
/** The extended resource that NVIDIA's device plugin advertises. */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** Node labels an administrator puts on GPU and TEE nodes for hardwareRequirements to select them. */
export const NODE_LABEL_GPU_TYPE = "hourglass.eigenlayer.io/gpu-type";
/** The node label (value "true") a Performer with teeRequired is scheduled by. */
export const NODE_LABEL_TEE = "hourglass.eigenlayer.io/tee";
/** The node label a Performer's teeType selects nodes by, when it requires a TEE. */
export const NODE_LABEL_TEE_TYPE = "hourglass.eigenlayer.io/tee-type";

/** A read-only root filesystem still needs somewhere to write temporary files. */
const TMP_VOLUME = "tmp";

/** `image:version`, unless the image already names a tag or a digest (or no version is given). */
export function performerImage(spec: PerformerSpec): string {
  const { tag, digest } = imageParts(spec.image);
  const pinned = tag !== undefined || digest !== undefined;
  return pinned || !spec.version ? spec.image : `${spec.image}:${spec.version}`;
}

/**
 * The spec hash of each Performer spec object seen, by identity, with the labels it was computed with: a cached
 * Performer is reconciled again on every event of its children and every resync with the very same spec object,
 * and hashing the canonical text of its Pod was the largest part of a reconcile that changes nothing. An informer
 * replaces the object (and its spec) on every change, so an entry never outlives what it describes.
 */
const hashBySpec = new WeakMap<PerformerSpec, { labels: string; hash: string }>();

/** The Pod a Performer asks for, with the hash of its spec so that a stale Pod is seen and replaced. */
export function performerPod(performer: Performer): V1Pod {
  const spec = podSpec(performer.spec);
  const metadata = performerChildMetadata(performer);
  const labels = JSON.stringify(metadata.labels);
  let known = hashBySpec.get(performer.spec);
  if (known?.labels !== labels) {
    known = { labels, hash: specHash({ labels: metadata.labels, spec }) };
    hashBySpec.set(performer.spec, known);
  }
  const { hash } = known;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...metadata, annotations: { [ANNOTATION_SPEC_HASH]: hash } },
    spec,
  };
}

/** Why an existing Pod gives way to the desired one: its spec hash is stale, or it has ended. */
export type PodReplacement =
  | { cause: "specChanged"; have: string | undefined; want: string | undefined }
  | { cause: "ended"; phase: string | undefined; why: string };

/**
 * Why the existing Pod gives way to the desired one, or undefined when it stays: its spec hash is stale (a Pod's
 * spec cannot be changed in place), or it has ended. A Pod that restarts Always ends only when evicted or when its
 * node shuts down, and nothing else removes it: without this the Performer would stay down.
 */
export function podReplacement(existing: V1Pod, desired: V1Pod): PodReplacement | undefined {
  const have = existing.metadata?.annotations?.[ANNOTATION_SPEC_HASH];
  const want = desired.metadata?.annotations?.[ANNOTATION_SPEC_HASH];
  if (have !== want) return { cause: "specChanged", have, want };
  if (podHasEnded(existing)) {
    const { phase, reason, message } = existing.status ?? {};
    return { cause: "ended", phase, why: [reason, message].filter(Boolean).join(": ") || "no reason given" };
  }
  return undefined;
}

/** Ended for good: a Pod's phase Failed or Succeeded is terminal. */
export function podHasEnded(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return phase === "Failed" || phase === "Succeeded";
}

/** The hash the Pod carries in ANNOTATION_SPEC_HASH. */
export function specHash(desired: unknown): string {
  return createHash("sha256").update(canonicalJson(desired)).digest("hex").slice(0, 16);
}

function podSpec(spec: PerformerSpec): V1PodSpec {
  const scheduling = spec.scheduling ?? {};
  const nodeSelector = { ...scheduling.nodeSelector, ...hardwareNodeSelector(spec) };
  const tolerations = [...(scheduling.tolerations ?? []), ...hardwareTolerations(spec)];
  return {
    containers: [performerContainer(spec)],
    restartPolicy: "Always",
    // Performers talk gRPC to the executor; they need no API credentials unless their author asks for an account.
    automountServiceAccountToken: spec.serviceAccountName !== undefined,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    volumes: [{ name: TMP_VOLUME, emptyDir: {} }],
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    ...(spec.imagePullSecrets?.length ? { imagePullSecrets: spec.imagePullSecrets } : {}),
    ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
    ...(tolerations.length ? { tolerations } : {}),
    ...(scheduling.affinity ? { affinity: scheduling.affinity } : {}),
    ...(scheduling.runtimeClassName ? { runtimeClassName: scheduling.runtimeClassName } : {}),
  };
}

function performerContainer(spec: PerformerSpec): V1Container {
  const env = spec.config?.env ?? [];
  const resources = containerResources(spec);
  return {
    name: PERFORMER_CONTAINER,
    image: performerImage(spec),
    ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
    ports: containerPorts(spec),
    ...(env.length ? { env } : {}),
    ...(resources ? { resources } : {}),
    readinessProbe: readinessProbe(spec),
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [{ name: TMP_VOLUME, mountPath: "/tmp" }],
  };
}

function containerPorts(spec: PerformerSpec): V1ContainerPort[] {
  const grpcPort = grpcPortOf(spec);
  const ports: V1ContainerPort[] = [{ name: "grpc", containerPort: grpcPort, protocol: "TCP" }];
  const health = healthCheckOf(spec);
  if (health.type !== "grpc" && health.port !== grpcPort) {
    ports.push({ name: "health", containerPort: health.port, protocol: "TCP" });
  }
  return ports;
}

function readinessProbe(spec: PerformerSpec): V1Probe {
  const health = healthCheckOf(spec);
  const timing = {
    initialDelaySeconds: health.initialDelaySeconds,
    periodSeconds: health.periodSeconds,
    ...(health.timeoutSeconds ? { timeoutSeconds: health.timeoutSeconds } : {}),
    ...(health.failureThreshold ? { failureThreshold: health.failureThreshold } : {}),
  };
  switch (health.type) {
    case "grpc":
      return { grpc: { port: grpcPortOf(spec) }, ...timing };
    case "tcp":
      return { tcpSocket: { port: health.port }, ...timing };
    default:
      return { httpGet: { path: health.path, port: health.port }, ...timing };
  }
}

/** spec.resources, plus the GPUs of hardwareRequirements. An extended resource cannot be overcommitted, so
 * the kubelet requires its request and limit to be equal: both are set. */
function containerResources(spec: PerformerSpec): V1ResourceRequirements | undefined {
  const gpus = spec.hardwareRequirements?.gpuCount ?? 0;
  const requests = { ...canonicalQuantities(spec.resources?.requests) };
  const limits = { ...canonicalQuantities(spec.resources?.limits) };
  if (gpus > 0) {
    requests[GPU_RESOURCE] = String(gpus);
    limits[GPU_RESOURCE] = String(gpus);
  }
  const result: V1ResourceRequirements = {};
  if (Object.keys(requests).length) result.requests = requests;
  if (Object.keys(limits).length) result.limits = limits;
  return result.requests || result.limits ? result : undefined;
}

/**
 * Each quantity as the apiserver stores it (0.5 → 500m, 1024Mi → 1Gi), so that re-spelling a quantity in the
 * Performer changes neither the Pod nor its hash, and does not restart the performer. A quantity that does
 * not parse is passed on as written, for the apiserver to refuse with its own message.
 */
function canonicalQuantities(
  quantities: Record<string, string | number> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(quantities ?? {}).map(([name, value]) => {
      const text = quantityText(value) ?? String(value);
      const parsed = tryParseQuantity(text);
      return [name, parsed ? formatQuantity(parsed) : text];
    }),
  );
}

function hardwareNodeSelector(spec: PerformerSpec): Record<string, string> {
  const hw = spec.hardwareRequirements ?? {};
  const selector: Record<string, string> = {};
  if (hw.gpuType) selector[NODE_LABEL_GPU_TYPE] = hw.gpuType;
  if (hw.teeRequired) selector[NODE_LABEL_TEE] = "true";
  if (hw.teeRequired && hw.teeType) selector[NODE_LABEL_TEE_TYPE] = hw.teeType;
  return selector;
}

/** GPU nodes are commonly tainted `nvidia.com/gpu:NoSchedule`; a Pod asking for GPUs tolerates that taint, as
 * the ExtendedResourceToleration admission plugin would add. */
function hardwareTolerations(spec: PerformerSpec): V1Toleration[] {
  if ((spec.hardwareRequirements?.gpuCount ?? 0) === 0) return [];
  return [{ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" }];
}
