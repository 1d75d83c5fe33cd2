// The Performer resource as the rest of the project sees it: its TypeScript types (derived from the schema in
// performer-schema.ts, so they cannot drift from the CRD or the validator) and the names that the webhooks, the
// controller and the executor must agree on. Its defaults are in performer-defaults.ts, its condition types and
// reasons in performer-conditions.ts.
import type { V1ObjectMeta } from "@kubernetes/client-node";
import type { Static } from "@sinclair/typebox";
import type {
  DEPLOYMENT_MODES,
  HEALTH_CHECK_TYPES,
  PerformerConditionSchema,
  PerformerSpecSchema,
  PerformerStatusSchema,
  PHASES,
  ResourceRequirementsSchema,
} from "./performer-schema.ts";

/** The Performer's API group. */
export const PERFORMER_GROUP = "hourglass.eigenlayer.io";
/** The Performer's API version (served and stored). */
export const PERFORMER_VERSION = "v1alpha1";
/** The Performer's kind. */
export const PERFORMER_KIND = "Performer";
/** The Performer's resource name, as URLs, RBAC rules and webhook rules name it. */
export const PERFORMER_PLURAL = "performers";
/** A Performer's apiVersion field. */
export const PERFORMER_API_VERSION = `${PERFORMER_GROUP}/${PERFORMER_VERSION}`;
/** The API path of the Performers of every namespace (what informers list and watch). */
export const PERFORMERS_PATH = `/apis/${PERFORMER_API_VERSION}/${PERFORMER_PLURAL}`;

/** On the Pod and Service of a Performer (their selector), and on the Performer itself: the Performer's name. */
export const LABEL_PERFORMER = "hourglass.eigenlayer.io/performer";
/** The AVS address, lowercased (see avsLabelValue). */
export const LABEL_AVS = "hourglass.eigenlayer.io/avs";
/** `"true"` on the ConfigMap that holds a namespace's executor config. */
export const LABEL_EXECUTOR_CONFIG = "hourglass.eigenlayer.io/executor-config";

/** A value of status.phase. */
export type PerformerPhase = (typeof PHASES)[number];
/** A value of spec.healthCheck.type. */
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];
/** A value of spec.deploymentMode. */
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];
/** The container of a Performer's Pod that runs the performer (the Pod has no other). */
export const PERFORMER_CONTAINER = "performer";

/** What a Performer asks for, as its schema defines it. */
export type PerformerSpec = Static<typeof PerformerSpecSchema>;
/** What the controller reports of a Performer, as its schema defines it. */
export type PerformerStatus = Static<typeof PerformerStatusSchema>;
/** `requests` and `limits` by resource name; quantities as written (`"500m"`, `2`). */
export type ResourceRequirements = Static<typeof ResourceRequirementsSchema>;
/** How a Performer's container is probed (spec.healthCheck). */
export type PerformerHealthCheck = NonNullable<PerformerSpec["healthCheck"]>;
/** metav1.Condition, as it travels in JSON (lastTransitionTime is an RFC 3339 string). */
export type PerformerCondition = Static<typeof PerformerConditionSchema>;

/** A Performer object as read from and written to the apiserver. */
export interface Performer {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: PerformerSpec;
  status?: PerformerStatus;
}

/** The name of the Pod and of the Service that the controller creates for a Performer. */
export function performerChildName(name: string): string {
  return `performer-${name}`;
}

/** Where the executor reaches a performer: Hourglass's `performer-{name}.{namespace}.svc.cluster.local:{port}`. */
export function performerEndpoint(name: string, namespace: string, port: number): string {
  return `${performerChildName(name)}.${namespace}.svc.cluster.local:${port}`;
}

/**
 * The value of LABEL_AVS. An address (42 characters) fits the 63-character limit of label values; it is
 * lowercased because addresses are case-insensitive (EIP-55 mixed case is only a checksum) and label selectors
 * are not.
 */
export function avsLabelValue(avsAddress: string): string {
  return avsAddress.toLowerCase();
}
