import assert from "node:assert/strict";
import { test } from "node:test";
import type { Performer } from "../../../src/api/performer.ts";
import { errorsOf, formatProblem, warningsOf } from "../../../src/api/problem.ts";
import type { NamespaceExecutorConfig } from "../../../webhooks/admission-facts.ts";
import type { AdmissionRequest } from "../../../webhooks/admission-review.ts";
import { type PerformerFacts, validatePerformer } from "../../../webhooks/validate-performer.ts";
import { requestOf } from "../../fixtures/admission/reviews.ts";
import { executorConfigYaml, namespaceExecutorConfig, supportedAvs } from "../../support/executor-configs.ts";

const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const NO_FACTS: PerformerFacts = { sameAvsPerformers: [] };

function errorLines(request: AdmissionRequest, facts = NO_FACTS): string[] {
  return errorsOf(validatePerformer(request, facts).problems).map(formatProblem);
}

function warningLines(request: AdmissionRequest, facts = NO_FACTS): string[] {
  return warningsOf(validatePerformer(request, facts).problems).map(formatProblem);
}

function withSpec(
  request: AdmissionRequest,
  change: (spec: Record<string, unknown>) => void,
): AdmissionRequest {
  const object = structuredClone(request.object) as { spec: Record<string, unknown> };
  change(object.spec);
  return { ...request, object };
}

function configFor(mode: "docker" | "kubernetes", avsLines: string): NamespaceExecutorConfig {
  return namespaceExecutorConfig(executorConfigYaml(mode, supportedAvs(avsLines)));
}

function storedPerformer(name: string, deploymentMode: string): Performer {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name, namespace: "avs-one" },
    spec: {
      avsAddress: AVS,
      image: "registry.example/avs/performer:v1",
      deploymentMode,
    } as Performer["spec"],
  };
}

test("a well-formed Performer is allowed", () => {
  const d = validatePerformer(requestOf("performer-complete-create"), NO_FACTS);
  assert.deepEqual(errorsOf(d.problems), []);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.patch, []);
});

test("bad quantities and requests above limits are all reported, each with its field", () => {
  const request = requestOf("performer-bad-resources-create");
  assert.equal(validatePerformer(request, NO_FACTS).allowed, false);
  const lines = errorLines(request);
  assert.equal(lines.length, 3, lines.join("\n"));
  assert.equal(lines[0], 'spec.resources.requests.cpu: Invalid resource format "500mm" (examples: 500m, 2)');
  assert.match(lines[1] ?? "", /^spec\.resources\.limits\.cpu: Invalid resource format "2 cores"/);
  assert.match(
    lines[2] ?? "",
    /^spec\.resources\.requests\.memory: must be less than or equal to the limit 4Gi \(got 8Gi\)/,
  );
});

test("quantities compare exactly, across units and notations", () => {
  const cases: [Record<string, unknown>, Record<string, unknown>, boolean][] = [
    [{ cpu: "1" }, { cpu: "1000m" }, true],
    [{ cpu: "1001m" }, { cpu: "1" }, false],
    [{ memory: "1Gi" }, { memory: "1073741824" }, true],
    [{ memory: "1073741825" }, { memory: "1Gi" }, false],
    [{ memory: "1G" }, { memory: "1Gi" }, true],
    [{ memory: "1.1Gi" }, { memory: "1Gi" }, false],
    [{ cpu: "0.1" }, { cpu: "100m" }, true],
    [{ cpu: 2 }, { cpu: "2" }, true],
    [{ cpu: "1e3" }, { cpu: "1000" }, true],
  ];
  for (const [requests, limits, ok] of cases) {
    const request = withSpec(requestOf("performer-minimal-create"), (spec) => {
      spec.resources = { requests, limits: { cpu: "64", memory: "64Gi", ...limits } };
    });
    assert.deepEqual(
      errorLines(request).length === 0,
      ok,
      `${JSON.stringify(requests)} <= ${JSON.stringify(limits)}`,
    );
  }
});

test("a quantity longer than the CRD's maxLength is refused by the schema's rule and quoted cut short", () => {
  const request = withSpec(requestOf("performer-minimal-create"), (spec) => {
    spec.resources = { requests: { cpu: "1".repeat(2_800_000) }, limits: { cpu: "1", memory: "1Gi" } };
  });
  const lines = errorLines(request);
  assert.equal(lines[0], "spec.resources.requests.cpu: must be at most 64 characters long");
  assert.match(
    lines[1] ?? "",
    /^spec\.resources\.requests\.cpu: Invalid resource format "1{61}\.\.\." \(2800000 characters\)/,
  );
  assert.equal(lines.length, 2, lines.join("\n"));
});

test("negative quantities are refused", () => {
  const request = withSpec(requestOf("performer-minimal-create"), (spec) => {
    spec.resources = { requests: { cpu: "-1" }, limits: { cpu: "1", memory: "1Gi" } };
  });
  assert.deepEqual(errorLines(request), ["spec.resources.requests.cpu: must not be negative (got -1)"]);
});

test("structure, name, image, ports and env problems are all reported at once", () => {
  const lines = errorLines(requestOf("performer-bad-fields-create"));
  const expected: RegExp[] = [
    /^spec\.avsAddress: is required$/,
    /^spec\.config\.grpcPort: must be an integer from 1 to 65535 \(got 70000\)$/,
    /^spec\.healthCheck\.type: must be one of: http, grpc, tcp \(got "exec"\)$/,
    /^metadata\.name: must be at most 53 lowercase letters.*\(got "Bad\.Name"\)$/,
    /^spec\.image: has an invalid tag ""/,
    /^spec\.config\.env\[0\]\.name: "1ST_VAR" is not a valid environment variable name/,
    /^spec\.config\.env\[2\]\.name: duplicate name "MODE", already set at spec\.config\.env\[1\]/,
    /^spec\.config\.env\[3\]: sets both value and valueFrom/,
  ];
  for (const pattern of expected) {
    assert.ok(
      lines.some((line) => pattern.test(line)),
      `missing ${pattern}\n got:\n${lines.join("\n")}`,
    );
  }
  assert.equal(lines.length, expected.length, lines.join("\n"));
});

test("valueFrom must name exactly one source", () => {
  const request = withSpec(requestOf("performer-minimal-create"), (spec) => {
    spec.config = {
      env: [
        { name: "A", valueFrom: {} },
        {
          name: "B",
          valueFrom: { secretKeyRef: { name: "s", key: "k" }, fieldRef: { fieldPath: "metadata.name" } },
        },
      ],
    };
  });
  const lines = errorLines(request);
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? "", /^spec\.config\.env\[0\]\.valueFrom: must set exactly one of secretKeyRef/);
  assert.match(lines[1] ?? "", /^spec\.config\.env\[1\]\.valueFrom: .*\(got secretKeyRef, fieldRef\)$/);
});

test("a Performer name too long for its Service is refused", () => {
  const request = requestOf("performer-minimal-create");
  const long = "p".repeat(54);
  const object = structuredClone(request.object) as { metadata: { name: string } };
  object.metadata.name = long;
  assert.match(
    errorLines({ ...request, object, name: long })[0] ?? "",
    /^metadata\.name: must be at most 53/,
  );
  object.metadata.name = "p".repeat(53);
  assert.deepEqual(errorLines({ ...request, object, name: object.metadata.name }), []);
});

test(":latest, a missing tag and missing limits are warnings, not denials", () => {
  const latest = requestOf("performer-latest-create");
  assert.equal(validatePerformer(latest, NO_FACTS).allowed, true);
  assert.deepEqual(warningLines(latest).length, 1);
  assert.match(warningLines(latest)[0] ?? "", /^spec\.image: uses :latest; pin spec\.version or a digest/);

  const untagged = withSpec(latest, (spec) => {
    spec.image = "registry.example/avs/performer";
    spec.resources = {};
  });
  const warnings = warningLines(untagged);
  assert.equal(validatePerformer(untagged, NO_FACTS).allowed, true);
  assert.match(warnings.join("\n"), /^spec\.image: has no tag, so :latest is pulled/m);
  assert.match(warnings.join("\n"), /^spec\.resources\.limits\.cpu: is not set/m);
  assert.match(warnings.join("\n"), /^spec\.resources\.limits\.memory: is not set/m);

  const pinned = withSpec(latest, (spec) => {
    spec.image = `registry.example/avs/performer@sha256:${"0".repeat(64)}`;
  });
  assert.deepEqual(warningLines(pinned), []);
});

test("a version beside an image tag is ignored, and said so", () => {
  const request = withSpec(requestOf("performer-complete-create"), (spec) => {
    spec.version = "v9";
  });
  assert.deepEqual(warningLines(request), [
    "spec.version: is ignored because spec.image carries its own tag; set one or the other",
  ]);
});

/** The namespace's executor runs AVS in docker mode. */
const DOCKER_MODE: PerformerFacts = {
  executorConfig: configFor(
    "docker",
    `    - address: "${AVS}"\n      name: one\n      performer_image: registry.example/one\n      endpoint: performer-one:9090\n`,
  ),
  sameAvsPerformers: [],
};

test("a Performer whose AVS the namespace's executor runs in docker mode is refused with the guide's message", () => {
  const d = validatePerformer(requestOf("performer-minimal-create"), DOCKER_MODE);
  assert.equal(d.allowed, false);
  const lines = errorsOf(d.problems).map(formatProblem);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0] ?? "",
    /^spec\.deploymentMode: mixed deployment modes not supported: .*ConfigMap executor-config.*docker/,
  );
});

test("a Performer whose AVS the namespace's executor does not list is allowed with a warning", () => {
  const facts: PerformerFacts = {
    executorConfig: configFor(
      "kubernetes",
      '    - address: "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"\n      name: two\n      performer_image: registry.example/two\n',
    ),
    sameAvsPerformers: [],
  };
  const d = validatePerformer(requestOf("performer-minimal-create"), facts);
  assert.equal(d.allowed, true);
  assert.match(
    warningsOf(d.problems).map(formatProblem).join("\n"),
    /^spec\.avsAddress: the executor config in ConfigMap executor-config lists no AVS/m,
  );
});

test("the AVS listed in kubernetes mode (in any letter case) passes", () => {
  const facts: PerformerFacts = {
    executorConfig: configFor(
      "kubernetes",
      `    - address: "${AVS.toUpperCase().replace("0X", "0x")}"\n      name: one\n      performer_image: registry.example/one\n`,
    ),
    sameAvsPerformers: [storedPerformer("other", "kubernetes")],
  };
  const d = validatePerformer(requestOf("performer-minimal-create"), facts);
  assert.deepEqual(
    d.problems.filter((p) => p.path.startsWith("spec.avsAddress") || p.path === "spec.deploymentMode"),
    [],
  );
});

test("another Performer of the same AVS in another mode is a conflict; the Performer itself is not", () => {
  const request = requestOf("performer-minimal-create");
  const conflicting: PerformerFacts = { sameAvsPerformers: [storedPerformer("legacy", "docker")] };
  assert.match(
    errorLines(request, conflicting)[0] ?? "",
    /^spec\.deploymentMode: mixed deployment modes not supported: Performer legacy/,
  );
  const itself: PerformerFacts = { sameAvsPerformers: [storedPerformer("minimal", "docker")] };
  assert.deepEqual(errorLines(request, itself), []);
});

test("an UPDATE that keeps the spec, or of a Performer being deleted, is not checked again", () => {
  const docker = DOCKER_MODE;
  // Admitted before the executor config moved the AVS to docker mode; now only its labels change.
  const created = requestOf("performer-minimal-create");
  const relabelled = structuredClone(created.object) as { metadata: Record<string, unknown> };
  relabelled.metadata.labels = { team: "avs-one" };
  const update: AdmissionRequest = {
    ...created,
    operation: "UPDATE",
    object: relabelled,
    oldObject: created.object,
  };
  assert.deepEqual(validatePerformer(update, docker).problems, []);
  // The garbage collector removing a finalizer from a Performer being deleted.
  const deleting = structuredClone(relabelled) as {
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
  };
  deleting.metadata.deletionTimestamp = "2026-11-28T12:00:00Z";
  deleting.spec.image = "registry.example/avs/performer:v2";
  assert.deepEqual(validatePerformer({ ...update, object: deleting }, docker).problems, []);
  // A changed spec is checked as on CREATE.
  const changed = withSpec(update, (spec) => {
    spec.image = "registry.example/avs/performer:v2";
  });
  assert.equal(validatePerformer(changed, docker).allowed, false);
});

test("DELETE is allowed without looking at the object", () => {
  assert.deepEqual(validatePerformer(requestOf("performer-delete"), NO_FACTS), {
    allowed: true,
    problems: [],
    patch: [],
  });
});

test("an object that is not a Performer at all is refused", () => {
  const request = requestOf("performer-minimal-create");
  for (const object of [null, "text", [1]]) {
    assert.equal(validatePerformer({ ...request, object }, NO_FACTS).allowed, false, JSON.stringify(object));
  }
});
