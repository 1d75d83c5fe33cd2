// The one definition of the Performer resource. The CRD's openAPIV3Schema (crd.ts), the admission validator
// (compileValidator) and the TypeScript types (performer.ts) all come from these schemas.
//
// Only structural rules live here (types, enums, ranges, the AVS address pattern). Rules whose message must say
// more than "does not match" (quantity grammar, requests ≤ limits, image references, env names) are checked by
// the validating webhook: the apiserver checks this schema before the validating webhook runs, so a pattern here
// would pre-empt the webhook's better message. There are no `default`s either: defaults depend on the
// namespace's executor config, so the mutating webhook sets them.
import type { V1Affinity, V1EnvVarSource, V1ObjectMeta } from "@kubernetes/client-node";
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { MAX_QUANTITY_LENGTH } from "./quantity.ts";
import { PATTERN_DESCRIPTION } from "./schema-validation.ts";

/** The values of status.phase. */
export const PHASES = ["Pending", "Running", "Unhealthy", "Failed", "Terminating"] as const;
/** How a performer is probed (spec.healthCheck.type). */
export const HEALTH_CHECK_TYPES = ["http", "grpc", "tcp"] as const;
/** Performers run as Kubernetes Pods; docker mode exists only in the executor config, where it is refused. */
export const DEPLOYMENT_MODES = ["kubernetes"] as const;
/** spec.imagePullPolicy, as in a Pod. */
export const IMAGE_PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

interface Described {
  description: string;
}

/** A string restricted to `values`, rendered as an OpenAPI `enum` (not TypeBox's anyOf of consts). */
export function stringEnum<const T extends readonly string[]>(values: T, options: Described) {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });
}

/** A map with arbitrary keys (`additionalProperties`); TypeBox's Record would emit patternProperties. */
export function mapOf<T extends TSchema>(values: T, options: Described) {
  return Type.Unsafe<Record<string, Static<T>>>({ ...options, type: "object", additionalProperties: values });
}

/** An object whose shape Kubernetes checks where it is used (a Pod field): kept as given, not pruned. */
function opaqueObject<T>(options: Described) {
  return Type.Unsafe<T>({ ...options, type: "object", "x-kubernetes-preserve-unknown-fields": true });
}

function port(description: string) {
  return Type.Integer({ description, minimum: 1, maximum: 65535 });
}

/** A resource.Quantity: `2`, `500m`, `1Gi`. Its grammar is checked by the validating webhook. */
export const QuantitySchema = Type.Union([Type.Integer(), Type.String({ maxLength: MAX_QUANTITY_LENGTH })], {
  description: "A Kubernetes quantity, e.g. 500m or 2 (cpu), 512Mi or 4Gi (memory).",
  "x-kubernetes-int-or-string": true,
});

/** A Performer's compute resources: requests and limits by resource name, as Kubernetes quantities. */
export const ResourceRequirementsSchema = Type.Object(
  {
    requests: Type.Optional(
      mapOf(QuantitySchema, {
        description:
          "Resources the scheduler reserves for the performer, by name (cpu, memory, nvidia.com/gpu, ...). " +
          "Set from the executor config's default_resources when omitted.",
      }),
    ),
    limits: Type.Optional(
      mapOf(QuantitySchema, {
        description: "The most the performer may use, by resource name. Must not be below the request.",
      }),
    ),
  },
  { description: "Compute resources of the performer container, as in a Pod's container.resources." },
);

const EnvVarSchema = Type.Object(
  {
    name: Type.String({ description: "Name of the environment variable." }),
    value: Type.Optional(Type.String({ description: "Literal value. Leave out when valueFrom is set." })),
    valueFrom: Type.Optional(
      opaqueObject<V1EnvVarSource>({
        description:
          "Source of the value, as in a Pod's env[].valueFrom: secretKeyRef, configMapKeyRef, fieldRef " +
          "or resourceFieldRef.",
      }),
    ),
  },
  { description: "An environment variable of the performer container (core/v1 EnvVar)." },
);

const TolerationSchema = Type.Object(
  {
    key: Type.Optional(
      Type.String({ description: "Taint key to tolerate; empty with Exists tolerates all." }),
    ),
    operator: Type.Optional(
      stringEnum(["Exists", "Equal"], { description: "How key and value are compared. Equal when omitted." }),
    ),
    value: Type.Optional(Type.String({ description: "Taint value to match when operator is Equal." })),
    effect: Type.Optional(
      stringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"], {
        description: "Taint effect to tolerate; all effects when omitted.",
      }),
    ),
    tolerationSeconds: Type.Optional(
      Type.Integer({
        description: "With effect NoExecute: how long the performer stays bound after the taint appears.",
      }),
    ),
  },
  { description: "A taint the performer tolerates (core/v1 Toleration)." },
);

const SchedulingSchema = Type.Object(
  {
    nodeSelector: Type.Optional(
      mapOf(Type.String(), { description: "Node labels the performer's node must have." }),
    ),
    tolerations: Type.Optional(
      Type.Array(TolerationSchema, {
        description: "Taints the performer tolerates, e.g. those of dedicated GPU or TEE nodes.",
      }),
    ),
    affinity: Type.Optional(
      opaqueObject<V1Affinity>({
        description: "Node and pod affinity of the performer, as in a Pod's spec.affinity.",
      }),
    ),
    runtimeClassName: Type.Optional(
      Type.String({ description: "RuntimeClass of the performer Pod, e.g. gvisor or kata for isolation." }),
    ),
  },
  { description: "Where the performer Pod may run." },
);

const HardwareRequirementsSchema = Type.Object(
  {
    gpuCount: Type.Optional(Type.Integer({ description: "Number of GPUs the performer needs.", minimum: 0 })),
    gpuType: Type.Optional(Type.String({ description: "GPU model, e.g. nvidia-tesla-v100 or nvidia-a100." })),
    teeRequired: Type.Optional(
      Type.Boolean({ description: "Whether the performer must run in a Trusted Execution Environment." }),
    ),
    teeType: Type.Optional(Type.String({ description: "TEE technology, e.g. sgx, sev or tdx." })),
  },
  { description: "Specialized hardware the performer needs." },
);

const HealthCheckSchema = Type.Object(
  {
    type: Type.Optional(
      stringEnum(HEALTH_CHECK_TYPES, {
        description:
          "How the performer is probed: http (GET path on port), grpc (the gRPC health service on " +
          "config.grpcPort, for performers that serve no HTTP) or tcp (a connection to port). Defaults to http.",
      }),
    ),
    path: Type.Optional(
      Type.String({
        description: "HTTP path probed when type is http. Defaults to /health.",
        pattern: "^/",
        [PATTERN_DESCRIPTION]: "a path starting with /",
      }),
    ),
    port: Type.Optional(port("Port probed when type is http or tcp. Defaults to 8090.")),
    initialDelaySeconds: Type.Optional(
      Type.Integer({
        description: "Seconds after start before the first probe. Defaults to 30.",
        minimum: 0,
      }),
    ),
    periodSeconds: Type.Optional(
      Type.Integer({ description: "Seconds between probes. Defaults to 10.", minimum: 1 }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({ description: "Seconds after which a probe counts as failed.", minimum: 1 }),
    ),
    failureThreshold: Type.Optional(
      Type.Integer({
        description: "Consecutive failed probes after which the performer is reported Unhealthy.",
        minimum: 1,
      }),
    ),
  },
  { description: "How the operator decides that the performer is ready to take tasks." },
);

const PerformerConfigSchema = Type.Object(
  {
    grpcPort: Type.Optional(
      port("Port on which the performer serves PerformerService over gRPC. Defaults to 9090."),
    ),
    env: Type.Optional(
      Type.Array(EnvVarSchema, {
        description: "Environment of the performer container.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
  },
  { description: "How the performer is run and reached." },
);

const LocalObjectReferenceSchema = Type.Object(
  { name: Type.String({ description: "Name of the Secret, in the Performer's namespace." }) },
  { description: "A Secret of type kubernetes.io/dockerconfigjson." },
);

/** A Performer's spec: the AVS it serves, its image, and how its Pod runs. */
export const PerformerSpecSchema = Type.Object(
  {
    avsAddress: Type.String({
      description: "Address of the AVS this performer serves: 0x followed by 40 hex digits.",
      pattern: "^0x[0-9a-fA-F]{40}$",
      [PATTERN_DESCRIPTION]: "0x followed by 40 hex digits",
    }),
    image: Type.String({
      description:
        "Container image of the performer, e.g. registry.example/avs/performer; its tag goes in version or here.",
    }),
    version: Type.Optional(
      Type.String({ description: "Image tag, used when image carries no tag or digest of its own." }),
    ),
    imagePullPolicy: Type.Optional(
      stringEnum(IMAGE_PULL_POLICIES, { description: "When the kubelet pulls the image, as in a Pod." }),
    ),
    imagePullSecrets: Type.Optional(
      Type.Array(LocalObjectReferenceSchema, {
        description: "Secrets holding credentials for a private registry.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name"],
      }),
    ),
    serviceAccountName: Type.Optional(
      Type.String({ description: "ServiceAccount the performer Pod runs as." }),
    ),
    config: Type.Optional(PerformerConfigSchema),
    resources: Type.Optional(ResourceRequirementsSchema),
    scheduling: Type.Optional(SchedulingSchema),
    hardwareRequirements: Type.Optional(HardwareRequirementsSchema),
    deploymentMode: Type.Optional(
      stringEnum(DEPLOYMENT_MODES, {
        description: "How the performer is deployed. Only kubernetes; set by the admission webhook.",
      }),
    ),
    healthCheck: Type.Optional(HealthCheckSchema),
  },
  { description: "The performer an executor routes this AVS's tasks to." },
);

/** metav1.Condition, with the constraints the Kubernetes API puts on it. */
export const PerformerConditionSchema = Type.Object(
  {
    type: Type.String({
      description: "Type of the condition: Ready, Scheduled, ImageAvailable, ...",
      maxLength: 316,
      pattern:
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
      [PATTERN_DESCRIPTION]: "a CamelCase name, optionally prefixed by a DNS subdomain and /",
    }),
    status: stringEnum(["True", "False", "Unknown"], { description: "Whether the condition holds." }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: "The metadata.generation the condition was computed from.", minimum: 0 }),
    ),
    lastTransitionTime: Type.String({
      description: "When status last changed.",
      format: "date-time",
    }),
    reason: Type.String({
      description: "Why, as a CamelCase word a program can match on.",
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
      [PATTERN_DESCRIPTION]: "a CamelCase word",
    }),
    message: Type.String({ description: "Why, for humans: quotes the cause.", maxLength: 32768 }),
  },
  { description: "An observation of one aspect of the performer (metav1.Condition)." },
);

/** A Performer's status as the controller writes it: phase, conditions and endpoint. */
export const PerformerStatusSchema = Type.Object(
  {
    phase: Type.Optional(
      stringEnum(PHASES, {
        description:
          "Summary of the performer's lifecycle: Pending (not running yet), Running (ready for tasks), " +
          "Unhealthy (running but failing its health check), Failed, Terminating.",
      }),
    ),
    conditions: Type.Optional(
      Type.Array(PerformerConditionSchema, {
        description: "Latest observations (Ready, Scheduled, ImageAvailable, ...), one per type.",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      }),
    ),
    observedGeneration: Type.Optional(
      Type.Integer({ description: "The metadata.generation this status describes.", minimum: 0 }),
    ),
    podName: Type.Optional(Type.String({ description: "Name of the performer's Pod." })),
    serviceName: Type.Optional(Type.String({ description: "Name of the performer's Service." })),
    endpoint: Type.Optional(
      Type.String({ description: "Where executors reach the performer: host:port of its Service." }),
    ),
    readyReplicas: Type.Optional(
      Type.Integer({ description: "Number of performer Pods that are ready.", minimum: 0 }),
    ),
    lastHealthCheck: Type.Optional(
      Type.String({ description: "When the performer's health was last observed.", format: "date-time" }),
    ),
  },
  { description: "The performer as the operator last observed it." },
);

/** A whole Performer object: the CRD's openAPIV3Schema and the validating webhook's structural check. */
export const PerformerSchema = Type.Object(
  {
    apiVersion: Type.Optional(
      Type.String({ description: "Versioned schema of this object: hourglass.eigenlayer.io/v1alpha1." }),
    ),
    kind: Type.Optional(Type.String({ description: "Kind of this object: Performer." })),
    metadata: Type.Optional(Type.Unsafe<V1ObjectMeta>({ type: "object" })),
    spec: PerformerSpecSchema,
    status: Type.Optional(PerformerStatusSchema),
  },
  {
    description:
      "A Performer runs an AVS's performer container as a Pod behind a Service, for the executor to route " +
      "tasks to.",
  },
);
