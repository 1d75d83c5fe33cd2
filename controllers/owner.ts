// What ties a Performer's children to it: their labels, their controller reference, and the test for "this
// child is ours".
import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import {
  avsLabelValue,
  LABEL_AVS,
  LABEL_PERFORMER,
  PERFORMER_API_VERSION,
  PERFORMER_KIND,
  type Performer,
  performerChildName,
} from "../src/api/performer.ts";

/** The labels of a Performer's Pod and Service; the Service selects on LABEL_PERFORMER alone. */
export function performerChildLabels(performer: Performer): Record<string, string> {
  return {
    [LABEL_PERFORMER]: performer.metadata.name!,
    [LABEL_AVS]: avsLabelValue(performer.spec.avsAddress),
  };
}

/** The controller reference: the garbage collector deletes the child with its Performer, and, with
 * blockOwnerDeletion, a foreground deletion of the Performer waits for it. */
export function performerOwnerReference(performer: Performer): V1OwnerReference {
  return {
    apiVersion: PERFORMER_API_VERSION,
    kind: PERFORMER_KIND,
    name: performer.metadata.name!,
    uid: performer.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Name, namespace, labels and owner of a child. */
export function performerChildMetadata(performer: Performer): V1ObjectMeta {
  return {
    name: performerChildName(performer.metadata.name!),
    namespace: performer.metadata.namespace,
    labels: performerChildLabels(performer),
    ownerReferences: [performerOwnerReference(performer)],
  };
}

/** Whether `child` is controlled by this very Performer (same uid, not a deleted namesake). */
export function isControlledBy(child: KubernetesObject, performer: Performer): boolean {
  return (child.metadata?.ownerReferences ?? []).some(
    (ref) => ref.controller === true && ref.uid === performer.metadata.uid,
  );
}
