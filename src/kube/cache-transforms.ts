// What every informer cache may drop: fields no controller decides on, kept by the apiserver for others.
// controller-runtime's cache.TransformStripManagedFields is the model.
import type { KubernetesObject, V1ObjectMeta } from "@kubernetes/client-node";

/** kubectl's client-side apply copy of the whole object, as large as the spec it repeats. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** `metadata` without managedFields (server-side apply's bookkeeping: often half the object) and without the
 * last-applied copy of the object. */
export function cachedMetadata(metadata: V1ObjectMeta | undefined): V1ObjectMeta {
  const { managedFields: _managedFields, ...kept } = metadata ?? {};
  if (kept.annotations && LAST_APPLIED_ANNOTATION in kept.annotations) {
    const { [LAST_APPLIED_ANNOTATION]: _lastApplied, ...annotations } = kept.annotations;
    kept.annotations = annotations;
  }
  return kept;
}

/** The object with cachedMetadata, everything else as received. */
export function withCachedMetadata<T extends KubernetesObject>(object: T): T {
  return { ...object, metadata: cachedMetadata(object.metadata) };
}
