// The writes the Performer reconciler makes, against the apiserver. Reads come from informer caches; this is
// the only place the reconciler reaches the cluster. Every write names the field manager `hourglass-operator`.
import { hostname } from "node:os";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import {
  PERFORMER_API_VERSION,
  PERFORMER_GROUP,
  PERFORMER_KIND,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
  type Performer,
  type PerformerStatus,
} from "../src/api/performer.ts";
import { isNotFound } from "../src/kube/api-errors.ts";
import { requestOptions } from "../src/kube/deadline.ts";
import { requestJson } from "../src/kube/json-request.ts";
import type { PerformerEvent } from "./performer-events.ts";

/** The field manager every write of the operator names, so that managedFields show what it owns. */
export const FIELD_MANAGER = "hourglass-operator";

/** The reconciler's writes. Each takes the reconcile's signal, which cancels its request. */
export interface PerformerCluster {
  /** Creates the Performer's Service. */
  createService(service: V1Service, signal: AbortSignal): Promise<V1Service>;
  /** Brings the fields this controller owns (labels, selector, ports, type) back to `desired`. */
  patchService(existing: V1Service, desired: V1Service, signal: AbortSignal): Promise<V1Service>;
  /** Creates the Performer's Pod. */
  createPod(pod: V1Pod, signal: AbortSignal): Promise<V1Pod>;
  /** Deletes exactly this Pod (a precondition on its uid), not a successor of the same name. */
  deletePod(pod: V1Pod, signal: AbortSignal): Promise<void>;
  /** Deletes exactly this Service (a precondition on its uid). */
  deleteService(service: V1Service, signal: AbortSignal): Promise<void>;
  /** The uid of the Performer stored under this name now, read from the apiserver; undefined when there is none. */
  performerUid(namespace: string, name: string, signal: AbortSignal): Promise<string | undefined>;
  /** Writes `status` over `previous` (a merge patch of the status subresource). */
  writeStatus(
    performer: Performer,
    previous: PerformerStatus | undefined,
    status: PerformerStatus,
    signal: AbortSignal,
  ): Promise<Performer>;
  /** Records `event` on the Performer. */
  recordEvent(performer: Performer, event: PerformerEvent, signal: AbortSignal): Promise<void>;
}

const MERGE_PATCH = "application/merge-patch+json";
/** Every write names the field manager. */
const AS_MANAGER = { fieldManager: FIELD_MANAGER };

const corePath = (namespace: string, plural: string, name?: string) =>
  `/api/v1/namespaces/${namespace}/${plural}${name === undefined ? "" : `/${name}`}`;

/** A delete of exactly `child` (a precondition on its uid), not of a successor under the same name. */
const exactly = (child: V1Pod | V1Service) => ({
  name: child.metadata!.name!,
  namespace: child.metadata!.namespace!,
  body: { preconditions: { uid: child.metadata!.uid! } },
});

/** The reconciler's writes through client-node; Events name `reportingInstance` (default: the host name) as
 * reporter. */
export function apiPerformerCluster(
  kubeConfig: KubeConfig,
  reportingInstance = hostname(),
): PerformerCluster {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  // The writes every new Performer makes go as plain JSON (json-request.ts); the rare ones through client-node.
  const create = <T extends V1Pod | V1Service>(plural: string, object: T, signal?: AbortSignal) =>
    requestJson<T>(kubeConfig, {
      method: "POST",
      path: corePath(object.metadata!.namespace!, plural),
      query: AS_MANAGER,
      body: object,
      signal,
    });
  return {
    createService: (service, signal) => create("services", service, signal),
    patchService: (existing, desired, signal) =>
      requestJson<V1Service>(kubeConfig, {
        method: "PATCH",
        path: corePath(existing.metadata!.namespace!, "services", existing.metadata!.name!),
        query: AS_MANAGER,
        body: servicePatch(existing, desired),
        contentType: MERGE_PATCH,
        signal,
      }),
    createPod: (pod, signal) => create("pods", pod, signal),
    deletePod: async (pod, signal) => {
      await core.deleteNamespacedPod(exactly(pod), requestOptions(signal));
    },
    deleteService: async (service, signal) => {
      await core.deleteNamespacedService(exactly(service), requestOptions(signal));
    },
    performerUid: async (namespace, name, signal) => {
      try {
        const found = (await custom.getNamespacedCustomObject(
          { group: PERFORMER_GROUP, version: PERFORMER_VERSION, plural: PERFORMER_PLURAL, namespace, name },
          requestOptions(signal),
        )) as Performer;
        return found.metadata.uid;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    writeStatus: (performer, previous, status, signal) =>
      requestJson<Performer>(kubeConfig, {
        method: "PATCH",
        path: `/apis/${PERFORMER_GROUP}/${PERFORMER_VERSION}/namespaces/${performer.metadata.namespace}/${PERFORMER_PLURAL}/${performer.metadata.name}/status`,
        query: AS_MANAGER,
        body: { status: statusPatch(previous, status) },
        contentType: MERGE_PATCH,
        signal,
      }),
    recordEvent: async (performer, event, signal) => {
      const now = new Date();
      await requestJson<unknown>(kubeConfig, {
        method: "POST",
        path: corePath(performer.metadata.namespace!, "events"),
        signal,
        body: {
          metadata: {
            name: `${performer.metadata.name}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
            namespace: performer.metadata.namespace,
          },
          involvedObject: {
            apiVersion: PERFORMER_API_VERSION,
            kind: PERFORMER_KIND,
            name: performer.metadata.name,
            namespace: performer.metadata.namespace,
            uid: performer.metadata.uid,
            resourceVersion: performer.metadata.resourceVersion,
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
          reportingInstance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}

/**
 * A JSON merge patch of the whole status: every field of `status`, and null for each field `previous` had that
 * `status` no longer has (a merge patch keeps what it does not mention).
 */
export function statusPatch(
  previous: PerformerStatus | undefined,
  status: PerformerStatus,
): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...status };
  for (const key of Object.keys(previous ?? {})) {
    if (!(key in status)) patch[key] = null;
  }
  return patch;
}

/** A merge patch giving the Service the desired labels, selector (dropping others' keys), ports and type. */
export function servicePatch(existing: V1Service, desired: V1Service): Record<string, unknown> {
  const selector: Record<string, string | null> = { ...desired.spec?.selector };
  for (const key of Object.keys(existing.spec?.selector ?? {})) {
    if (!(key in selector)) selector[key] = null;
  }
  return {
    metadata: { labels: desired.metadata?.labels },
    spec: { type: desired.spec?.type, selector, ports: desired.spec?.ports },
  };
}
