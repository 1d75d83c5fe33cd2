import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Performer } from "../../../src/api/performer.ts";
import {
  artifactFields,
  artifactOf,
  deployedArtifact,
  desiredPerformer,
  isPerformerReady,
  notReadyReason,
  performerName,
  renderServicePattern,
} from "../../../src/executor/performer-manifest.ts";

const AVS = { address: "0xAbCdEf0123456789abcdef0123456789ABCDEF01", name: "My AVS" };
const settings = {
  kubernetes: {
    namespace: "avs-ns",
    crdGroup: "hourglass.eigenlayer.io",
    crdVersion: "v1alpha1",
    crdPlural: "performers",
    cleanupOnShutdown: true,
    cleanupTimeoutMs: 1,
    connectionTimeoutMs: 1,
  },
  performer: {
    servicePattern: "performer-{name}.{namespace}.svc.cluster.local:{port}",
    defaultPort: 9091,
    taskTimeoutMs: 1,
    startupTimeoutMs: 1,
    retryAttempts: 0,
    maxPerformers: 1,
    maxInFlight: 1,
    maxQueued: 0,
  },
};

function withConditions(
  conditions: NonNullable<Performer["status"]>["conditions"],
  generation?: number,
): Performer {
  const performer = desiredPerformer(AVS, { image: "img", version: "v1" }, settings);
  performer.metadata.generation = generation;
  performer.status = { phase: "Pending", conditions };
  return performer;
}

const condition = (type: string, status: "True" | "False", observedGeneration?: number) => ({
  type,
  status,
  reason: "Because",
  message: `${type} is ${status}`,
  lastTransitionTime: "2026-01-01T00:00:00Z",
  ...(observedGeneration === undefined ? {} : { observedGeneration }),
});

describe("performer manifest", () => {
  it("names Performers after the AVS and the artifact, within the Service name limit", () => {
    const name = performerName(AVS, { image: "img", version: "v1" });
    assert.match(name, /^my-avs-[0-9a-f]{8}$/);
    assert.equal(performerName(AVS, { image: "img", version: "v1" }), name, "stable for one artifact");
    assert.notEqual(performerName(AVS, { image: "img", version: "v2" }), name, "distinct per artifact");
    assert.match(performerName({ address: AVS.address }, { image: "img" }), /^avs-abcdef01-[0-9a-f]{8}$/);
    const long = performerName({ address: AVS.address, name: "x".repeat(80) }, { image: "img" });
    assert.ok(`performer-${long}`.length <= 63, long);
    assert.match(
      performerName({ address: AVS.address, name: "42 -- Ünïcode" }, { image: "i" }),
      /^[a-z][a-z0-9-]*[a-z0-9]$/,
    );
  });

  it("asks for the configured image, port and resources, labelled for adoption", () => {
    const avs = { ...AVS, resources: { requests: { cpu: "250m" } } };
    const performer = desiredPerformer(avs, { image: "ghcr.io/org/perf", version: "v1.2.0" }, settings);
    assert.equal(performer.apiVersion, "hourglass.eigenlayer.io/v1alpha1");
    assert.equal(performer.kind, "Performer");
    assert.equal(performer.metadata.namespace, "avs-ns");
    assert.deepEqual(performer.metadata.labels, {
      "app.kubernetes.io/managed-by": "hourglass-executor",
      "hourglass.eigenlayer.io/avs": AVS.address.toLowerCase(),
    });
    assert.deepEqual(performer.spec, {
      avsAddress: AVS.address,
      image: "ghcr.io/org/perf",
      version: "v1.2.0",
      config: { grpcPort: 9091 },
      resources: { requests: { cpu: "250m" } },
    });
    assert.equal(
      desiredPerformer(AVS, { image: "i" }, settings).spec.resources,
      undefined,
      "else the webhook defaults them",
    );
  });

  it("pins a deployed artifact by digest and reads it back for ListPerformers", () => {
    const artifact = deployedArtifact("ghcr.io/org/perf", "sha256:abc");
    const spec = desiredPerformer(AVS, artifact, settings).spec;
    assert.equal(spec.image, "ghcr.io/org/perf@sha256:abc");
    assert.equal(spec.version, undefined);
    assert.deepEqual(artifactFields(spec), { registry: "ghcr.io/org/perf", digest: "sha256:abc" });
    assert.deepEqual(artifactFields({ image: "ghcr.io/org/perf", version: "v1" }), {
      registry: "ghcr.io/org/perf",
      digest: "v1",
    });
  });

  it("gives a deployed artifact's env and service account to the Performer, read back by artifactOf", () => {
    const env = [{ name: "MODE", value: "fast" }];
    const artifact = deployedArtifact("ghcr.io/org/perf", "sha256:abc", {
      env,
      serviceAccountName: "runner",
    });
    const spec = desiredPerformer(AVS, artifact, settings).spec;
    assert.deepEqual(spec.config, { grpcPort: 9091, env });
    assert.equal(spec.serviceAccountName, "runner");
    assert.deepEqual(artifactOf(spec), artifact);
    assert.notEqual(
      performerName(AVS, artifact),
      performerName(AVS, deployedArtifact("ghcr.io/org/perf", "sha256:abc")),
    );
  });

  it("is Ready only on a Ready=True condition that is not stale", () => {
    assert.equal(isPerformerReady(withConditions([condition("Ready", "True")])), true);
    assert.equal(isPerformerReady(withConditions([condition("Ready", "False")])), false);
    assert.equal(isPerformerReady(withConditions(undefined)), false);
    assert.equal(isPerformerReady(withConditions([condition("Ready", "True", 1)], 2)), false);
    assert.equal(isPerformerReady(withConditions([condition("Ready", "True", 2)], 2)), true);
  });

  it("explains why a Performer is not Ready from its conditions", () => {
    const reason = notReadyReason(
      withConditions([condition("Scheduled", "False"), condition("Ready", "False")]),
    );
    assert.match(reason, /Scheduled=False \(Because: Scheduled is False\)/);
    assert.match(reason, /Ready=False/);
    assert.equal(notReadyReason(undefined), "it does not exist");
  });

  it("fills service_pattern", () => {
    assert.equal(
      renderServicePattern(settings.performer.servicePattern, { name: "p1", namespace: "ns", port: 9090 }),
      "performer-p1.ns.svc.cluster.local:9090",
    );
    assert.equal(
      renderServicePattern("127.0.0.1:{port}", { name: "p1", namespace: "ns", port: 4000 }),
      "127.0.0.1:4000",
    );
  });
});
