// The Service a Performer asks for: a stable name in front of its Pod, `performer-<name>`, which is what the
// executor dials (performerEndpoint). Pure; the reconciler applies it when it differs from what exists.
import type { V1Service } from "@kubernetes/client-node";
import { LABEL_PERFORMER, type Performer } from "../src/api/performer.ts";
import { grpcPortOf } from "../src/api/performer-defaults.ts";
import { performerChildMetadata } from "./owner.ts";

/** The ClusterIP Service `performer-<name>` in front of a Performer's Pod, on its gRPC port. */
export function performerService(performer: Performer): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: performerChildMetadata(performer),
    spec: {
      type: "ClusterIP",
      selector: { [LABEL_PERFORMER]: performer.metadata.name! },
      ports: [{ name: "grpc", port: grpcPortOf(performer.spec), targetPort: "grpc", protocol: "TCP" }],
    },
  };
}

/**
 * Whether an existing Service already is what `desired` asks for, in the fields this controller owns. Fields the
 * apiserver fills in (clusterIP, sessionAffinity, ...) and labels others added are not compared, so that an
 * unchanged Performer causes no write.
 */
export function serviceMatches(existing: V1Service, desired: V1Service): boolean {
  const labels = existing.metadata?.labels ?? {};
  const labelsMatch = Object.entries(desired.metadata?.labels ?? {}).every(([k, v]) => labels[k] === v);
  const selectorMatch = sameEntries(existing.spec?.selector ?? {}, desired.spec?.selector ?? {});
  const existingPorts = existing.spec?.ports ?? [];
  const desiredPorts = desired.spec?.ports ?? [];
  const portsMatch =
    existingPorts.length === desiredPorts.length &&
    desiredPorts.every((want, i) => {
      const have = existingPorts[i]!;
      return (
        have.name === want.name &&
        have.port === want.port &&
        String(have.targetPort) === String(want.targetPort) &&
        (have.protocol ?? "TCP") === want.protocol
      );
    });
  return labelsMatch && selectorMatch && portsMatch && existing.spec?.type === desired.spec?.type;
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
