import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import jsonPatch, { type Operation } from "fast-json-patch";
import type { AdmissionRequest } from "../../../webhooks/admission-review.ts";
import { mutatePerformer, performerDefaults } from "../../../webhooks/mutate-performer.ts";
import { performerWithDefaults } from "../../../webhooks/performer-defaulting.ts";
import { requestOf } from "../../fixtures/admission/reviews.ts";
import { executorConfigYaml, namespaceExecutorConfig } from "../../support/executor-configs.ts";

const AVS_LOWER = "0x1234567890abcdef1234567890abcdef12345678";

function byPath(ops: readonly Operation[]): Operation[] {
  return [...ops].sort((a, b) => a.path.localeCompare(b.path));
}

function applied(request: AdmissionRequest, patch: readonly Operation[]): Record<string, unknown> {
  return jsonPatch.applyPatch(structuredClone(request.object), patch as Operation[], true, false)
    .newDocument as Record<string, unknown>;
}

function withObject(request: AdmissionRequest, object: unknown): AdmissionRequest {
  return { ...request, object };
}

test("a minimal Performer gets every default, in additions only", () => {
  const request = requestOf("performer-minimal-create");
  const d = mutatePerformer(request, {});
  assert.equal(d.allowed, true);
  assert.deepEqual(byPath(d.patch), [
    {
      op: "add",
      path: "/metadata/labels",
      value: { "hourglass.eigenlayer.io/performer": "minimal", "hourglass.eigenlayer.io/avs": AVS_LOWER },
    },
    { op: "add", path: "/spec/config", value: { grpcPort: 9090 } },
    { op: "add", path: "/spec/deploymentMode", value: "kubernetes" },
    {
      op: "add",
      path: "/spec/healthCheck",
      value: { type: "http", path: "/health", port: 8090, initialDelaySeconds: 30, periodSeconds: 10 },
    },
    {
      op: "add",
      path: "/spec/resources",
      value: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    },
  ]);
});

test("a Performer that already has every default gets no patch", () => {
  assert.deepEqual(mutatePerformer(requestOf("performer-complete-create"), {}).patch, []);
});

test("label keys are escaped as JSON pointers when added beside existing labels", () => {
  const request = requestOf("performer-minimal-create");
  const object = structuredClone(request.object) as { metadata: Record<string, unknown> };
  object.metadata.labels = { team: "avs-one", "hourglass.eigenlayer.io/performer": "someone-else" };
  const d = mutatePerformer(withObject(request, object), {});
  const labelOps = d.patch.filter((op) => op.path.startsWith("/metadata/labels"));
  assert.deepEqual(byPath(labelOps), [
    { op: "add", path: "/metadata/labels/hourglass.eigenlayer.io~1avs", value: AVS_LOWER },
    { op: "replace", path: "/metadata/labels/hourglass.eigenlayer.io~1performer", value: "minimal" },
  ]);
  const result = applied(withObject(request, object), d.patch) as {
    metadata: { labels: Record<string, string> };
  };
  assert.equal(result.metadata.labels.team, "avs-one");
});

test("what the author set is kept; only missing fields are filled", () => {
  const request = requestOf("performer-minimal-create");
  const object = structuredClone(request.object) as { spec: Record<string, unknown> };
  object.spec.config = { grpcPort: 7000 };
  object.spec.resources = { requests: { cpu: "250m" }, limits: { cpu: "1" } };
  object.spec.healthCheck = { type: "tcp", port: 7001 };
  const result = applied(
    withObject(request, object),
    mutatePerformer(withObject(request, object), {}).patch,
  ) as {
    spec: Record<string, unknown>;
  };
  assert.deepEqual(result.spec.config, { grpcPort: 7000 });
  assert.deepEqual(result.spec.resources, {
    requests: { cpu: "250m", memory: "1Gi" },
    limits: { cpu: "1", memory: "4Gi" },
  });
  assert.deepEqual(result.spec.healthCheck, {
    type: "tcp",
    port: 7001,
    initialDelaySeconds: 30,
    periodSeconds: 10,
  });
});

test("a grpc health check gets no HTTP path or port", () => {
  const request = requestOf("performer-minimal-create");
  const object = structuredClone(request.object) as { spec: Record<string, unknown> };
  object.spec.healthCheck = { type: "grpc" };
  const result = applied(
    withObject(request, object),
    mutatePerformer(withObject(request, object), {}).patch,
  ) as {
    spec: Record<string, unknown>;
  };
  assert.deepEqual(result.spec.healthCheck, { type: "grpc", initialDelaySeconds: 30, periodSeconds: 10 });
});

test("defaults never contradict the author: a request stays within a lower limit, a limit above a higher request", () => {
  const request = requestOf("performer-minimal-create");
  const object = structuredClone(request.object) as { spec: Record<string, unknown> };
  object.spec.resources = { requests: { memory: "8Gi" }, limits: { cpu: "250m" } };
  const result = applied(
    withObject(request, object),
    mutatePerformer(withObject(request, object), {}).patch,
  ) as {
    spec: { resources: unknown };
  };
  assert.deepEqual(result.spec.resources, {
    requests: { cpu: "250m", memory: "8Gi" },
    limits: { cpu: "250m", memory: "8Gi" },
  });
});

/** The resources a minimal Performer of AVS_LOWER is defaulted to under a kubernetes-mode executor config with
 * this top-level default_resources (YAML) and, if given, the AVS's own. */
function defaultedResources(topLevel: string, perAvs?: string): unknown {
  const avsResources = perAvs ? `\n      default_resources:\n${indent(perAvs, 8)}` : "";
  const config = namespaceExecutorConfig(
    executorConfigYaml(
      "kubernetes",
      `default_resources:\n${indent(topLevel, 2)}
avs_config:
  supported_avs:
    - address: "${AVS_LOWER}"
      name: one
      performer_image: registry.example/one${avsResources}
`,
    ),
  );
  const request = requestOf("performer-minimal-create");
  const defaulted = applied(request, mutatePerformer(request, { executorConfig: config }).patch) as {
    spec: { resources: unknown };
  };
  return defaulted.spec.resources;
}

function indent(yaml: string, spaces: number): string {
  return yaml
    .trim()
    .split("\n")
    .map((line) => `${" ".repeat(spaces)}${line.trim()}`)
    .join("\n");
}

test("the namespace's executor config supplies default_resources, its AVS's before the top level", () => {
  const topLevel = "requests: { cpu: 100m, memory: 128Mi }\nlimits: { cpu: 200m, memory: 256Mi }";
  assert.deepEqual(
    defaultedResources(topLevel, 'requests: { cpu: 250m, memory: 512Mi }\nlimits: { cpu: "1", memory: 2Gi }'),
    { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
  );
  assert.deepEqual(defaultedResources(topLevel), {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "200m", memory: "256Mi" },
  });
});

test("a config that sets only one side of a resource is kept: the operator's other side gives way to it", () => {
  // memory: the config's 512Mi limit caps the operator's 1Gi request; cpu: both set, both kept.
  assert.deepEqual(defaultedResources("requests: { cpu: 1500m }\nlimits: { cpu: 2500m, memory: 512Mi }"), {
    requests: { cpu: "1500m", memory: "512Mi" },
    limits: { cpu: "2500m", memory: "512Mi" },
  });
  // cpu: the config's request of 3 lifts the operator's limit of 2.
  assert.deepEqual(defaultedResources('requests: { cpu: "3" }'), {
    requests: { cpu: "3", memory: "1Gi" },
    limits: { cpu: "3", memory: "4Gi" },
  });
});

test("DELETE is never patched, and neither is an object with no spec", () => {
  assert.deepEqual(mutatePerformer(requestOf("performer-delete"), {}).patch, []);
  const request = requestOf("performer-minimal-create");
  assert.deepEqual(
    mutatePerformer(withObject(request, { apiVersion: "x", kind: "Performer", metadata: {} }), {}).patch,
    [],
  );
  assert.deepEqual(mutatePerformer(withObject(request, "not an object"), {}).patch, []);
});

test("an UPDATE that drops a defaulted field gets it back", () => {
  const request = { ...requestOf("performer-complete-create"), operation: "UPDATE" as const };
  const object = structuredClone(request.object) as { spec: Record<string, unknown> };
  delete object.spec.deploymentMode;
  assert.deepEqual(mutatePerformer(withObject(request, object), {}).patch, [
    { op: "add", path: "/spec/deploymentMode", value: "kubernetes" },
  ]);
});

test("mutating the mutated object changes nothing, whatever the author left out", () => {
  const base = requestOf("performer-minimal-create");
  const quantity = fc.constantFrom("100m", "250m", "1", "2", "3", "512Mi", "1Gi", "8Gi", 1, 4);
  const spec = fc.record(
    {
      avsAddress: fc.constantFrom(AVS_LOWER, "0xABCDEFabcdefABCDEFabcdefABCDEFabcdefABCD", "not-an-address"),
      image: fc.constant("registry.example/avs/performer:v1"),
      config: fc.record({ grpcPort: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: [] }),
      resources: fc.record(
        {
          requests: fc.dictionary(fc.constantFrom("cpu", "memory", "nvidia.com/gpu"), quantity),
          limits: fc.dictionary(fc.constantFrom("cpu", "memory", "nvidia.com/gpu"), quantity),
        },
        { requiredKeys: [] },
      ),
      healthCheck: fc.record(
        {
          type: fc.constantFrom("http", "grpc", "tcp"),
          path: fc.constant("/ready"),
          port: fc.integer({ min: 1, max: 65535 }),
          periodSeconds: fc.integer({ min: 1, max: 60 }),
        },
        { requiredKeys: [] },
      ),
      deploymentMode: fc.constant("kubernetes"),
    },
    { requiredKeys: ["avsAddress", "image"] },
  );
  const labels = fc.option(
    fc.dictionary(fc.constantFrom("team", "hourglass.eigenlayer.io/performer", "a/b~c"), fc.string()),
    {
      nil: undefined,
    },
  );
  fc.assert(
    fc.property(spec, labels, (s, l) => {
      const object = {
        apiVersion: "hourglass.eigenlayer.io/v1alpha1",
        kind: "Performer",
        metadata: { name: "prop", namespace: "avs-one", ...(l ? { labels: l } : {}) },
        spec: s,
      };
      const first = mutatePerformer(withObject(base, object), {});
      const once = applied(withObject(base, object), first.patch);
      assert.deepEqual(mutatePerformer(withObject(base, once), {}).patch, []);
    }),
  );
});

test("defaulting copies what it changes and leaves the object received as it was", () => {
  const request = requestOf("performer-minimal-create");
  const object = request.object as { metadata: Record<string, unknown> };
  object.metadata.annotations = { big: "x".repeat(1 << 20) };
  object.metadata.labels = { team: "a" };
  const before = structuredClone(object);
  const defaulted = performerWithDefaults(
    object as Record<string, unknown>,
    performerDefaults(undefined, undefined),
  );
  assert.deepEqual(object, before, "the input is not changed");
  assert.equal(
    (defaulted.metadata as { annotations: unknown }).annotations,
    object.metadata.annotations,
    "what defaulting does not touch is shared, not copied",
  );
});
