// What the controller's informer caches keep of each object: what the reconciler, the status and the event
// handlers read, and nothing else. A Pod as the apiserver returns it carries managedFields, its whole container
// spec, the service-account volume, tolerations the admission plugins added, ...: several KiB that no decision
// here looks at, held for every Performer. What is read, and where:
// - metadata (all but managedFields): names, uid, resourceVersion, labels and controller reference (the event
//   handlers' keys, isControlledBy), the spec-hash annotation (podReplacement), creation and deletion timestamps;
// - a Pod's spec.nodeName and its containers' names and images (the Scheduled and ImageAvailable conditions),
//   and its status as the kubelet reports it (phase, reason, message, conditions, container statuses);
// - a Service's spec.type, selector and ports (serviceMatches, servicePatch).
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import type { Performer } from "../src/api/performer.ts";
import { cachedMetadata, withCachedMetadata } from "../src/kube/cache-transforms.ts";

/** What the informer cache keeps of a Pod: metadata, node, containers' names and images, and the status
 * fields the controller reads. */
export function cachedPod(pod: V1Pod): V1Pod {
  const { spec, status } = pod;
  return {
    metadata: cachedMetadata(pod.metadata),
    ...(spec
      ? {
          spec: {
            ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
            containers: (spec.containers ?? []).map(({ name, image }) => ({ name, image })),
          },
        }
      : {}),
    ...(status
      ? {
          status: {
            phase: status.phase,
            reason: status.reason,
            message: status.message,
            conditions: status.conditions,
            containerStatuses: status.containerStatuses,
          },
        }
      : {}),
  };
}

/** What the informer cache keeps of a Service: metadata, type, selector and ports. */
export function cachedService(service: V1Service): V1Service {
  const spec = service.spec;
  return {
    metadata: cachedMetadata(service.metadata),
    ...(spec ? { spec: { type: spec.type, selector: spec.selector, ports: spec.ports } } : {}),
  };
}

/** A Performer is read whole (its spec and status decide everything) but for its metadata's bookkeeping. */
export const cachedPerformer: (performer: Performer) => Performer = withCachedMetadata;
