// What the executor asks of Kubernetes for one AVS, and how it reads the answer: the Performer it wants (a pure
// function of the config and the artifact), whether a Performer is Ready, and where to reach it.
import { createHash } from "node:crypto";
import { avsLabelValue, LABEL_AVS, type Performer, type PerformerSpec } from "../api/performer.ts";
import type { PerformerEnvVar } from "./deploy-request.ts";
import type { AvsSettings, ExecutorSettings } from "./settings.ts";

/** On every Performer the executor creates; with LABEL_AVS it selects the Performers an executor may adopt. */
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
/** The managed-by label's value on the executor's Performers. */
export const MANAGED_BY_EXECUTOR = "hourglass-executor";

/** The image a Performer runs: `image` with a tag in `version`, or `image@digest` as DeployArtifact sets it; with
 * the environment and service account a DeployArtifact gave (else the config's service account). */
export interface Artifact {
  image: string;
  version?: string;
  env?: PerformerEnvVar[];
  serviceAccountName?: string;
}

/** DeployArtifact's registry_url + digest as an artifact, with what else it asked for. */
export function deployedArtifact(
  registryUrl: string,
  digest: string,
  options: Pick<Artifact, "env" | "serviceAccountName"> = {},
): Artifact {
  return { image: `${registryUrl}@${digest}`, ...options };
}

/** The artifact a Performer runs, read back from its spec (to create it again as it was). */
export function artifactOf(spec: PerformerSpec): Artifact {
  return {
    image: spec.image,
    ...(spec.version ? { version: spec.version } : {}),
    ...(spec.config?.env?.length ? { env: spec.config.env } : {}),
    ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
  };
}

/** ListPerformers' artifact_registry and artifact_digest (the tag, for a Performer deployed by tag). */
export function artifactFields(spec: Pick<PerformerSpec, "image" | "version">): {
  registry: string;
  digest: string;
} {
  const at = spec.image.indexOf("@");
  return at >= 0
    ? { registry: spec.image.slice(0, at), digest: spec.image.slice(at + 1) }
    : { registry: spec.image, digest: spec.version ?? "" };
}

// The Service `performer-<name>` must be a DNS-1035 label (63 characters): the name gets 53, of which the
// artifact hash takes 9.
const MAX_BASE_LENGTH = 44;

/**
 * `<avs name or avs-<address prefix>>-<hash of the image>`: stable for one artifact, so that a restarted
 * executor finds (adopts) what it created, and distinct per artifact, so that a blue-green deployment's two
 * sides can coexist.
 */
export function performerName(avs: Pick<AvsSettings, "address" | "name">, artifact: Artifact): string {
  const slug = (avs.name ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, MAX_BASE_LENGTH)
    .replace(/-+$/, "");
  const base = slug || `avs-${avs.address.slice(2, 10).toLowerCase()}`;
  // Environment and service account count only when given, so that the names of config-made Performers stay.
  const extra =
    artifact.env || artifact.serviceAccountName
      ? `:${JSON.stringify([artifact.env ?? [], artifact.serviceAccountName ?? ""])}`
      : "";
  const hash = createHash("sha256")
    .update(`${artifact.image}:${artifact.version ?? ""}${extra}`)
    .digest("hex")
    .slice(0, 8);
  return `${base}-${hash}`;
}

/** The Performer the executor wants for one AVS and artifact, from the config's kubernetes and performer
 * settings. */
export function desiredPerformer(
  avs: AvsSettings,
  artifact: Artifact,
  settings: Pick<ExecutorSettings, "kubernetes" | "performer">,
): Performer {
  const k8s = settings.kubernetes!;
  const spec: PerformerSpec = {
    avsAddress: avs.address,
    image: artifact.image,
    ...(artifact.version ? { version: artifact.version } : {}),
    config: {
      grpcPort: settings.performer.defaultPort,
      ...(artifact.env?.length ? { env: artifact.env } : {}),
    },
    ...(avs.resources ? { resources: avs.resources } : {}),
    ...((artifact.serviceAccountName ?? k8s.serviceAccount)
      ? { serviceAccountName: artifact.serviceAccountName ?? k8s.serviceAccount }
      : {}),
  };
  return {
    apiVersion: `${k8s.crdGroup}/${k8s.crdVersion}`,
    kind: "Performer",
    metadata: {
      name: performerName(avs, artifact),
      namespace: k8s.namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY_EXECUTOR, [LABEL_AVS]: avsLabelValue(avs.address) },
    },
    spec,
  };
}

/** Whether a Performer's Ready condition is True for its current generation, so that traffic may go to it. */
export function isPerformerReady(performer: Performer): boolean {
  const ready = performer.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return false;
  // A Ready condition computed for an older spec says nothing about the current one.
  const generation = performer.metadata.generation;
  return (
    ready.observedGeneration === undefined ||
    generation === undefined ||
    ready.observedGeneration >= generation
  );
}

/** Why a Performer is not Ready yet, from its conditions, for error messages. */
export function notReadyReason(performer: Performer | undefined): string {
  if (!performer) return "it does not exist";
  const failing = (performer.status?.conditions ?? []).filter((c) => c.status !== "True");
  if (failing.length === 0) return `phase ${performer.status?.phase ?? "unknown"}, no Ready condition yet`;
  return failing.map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`).join("; ");
}

/** service_pattern with its placeholders filled: `{name}` is the Performer's name. */
export function renderServicePattern(
  pattern: string,
  values: { name: string; namespace: string; port: number },
): string {
  return pattern
    .replaceAll("{name}", values.name)
    .replaceAll("{namespace}", values.namespace)
    .replaceAll("{port}", String(values.port));
}
