import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Type } from "@sinclair/typebox";
import fc from "fast-check";
import { parse } from "yaml";
import {
  avsLabelValue,
  PERFORMER_API_VERSION,
  performerChildName,
  performerEndpoint,
} from "../../../src/api/performer.ts";
import { PerformerSchema, PerformerSpecSchema } from "../../../src/api/performer-schema.ts";
import type { Problem } from "../../../src/api/problem.ts";
import { childPath, compileValidator } from "../../../src/api/schema-validation.ts";

const validateSpec = compileValidator(PerformerSpecSchema);
const validatePerformer = compileValidator(PerformerSchema);

const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const minimalSpec = { avsAddress: AVS, image: "registry.example/acme/performer" };

function withSpec(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...minimalSpec, ...fields };
}

/** The one problem reported at `path`; fails listing all problems when there is not exactly one. */
function problemAt(problems: Problem[], path: string): Problem {
  const found = problems.filter((p) => p.path === path);
  assert.equal(found.length, 1, `expected one problem at ${path}, got ${JSON.stringify(problems, null, 2)}`);
  return found[0]!;
}

describe("the Performer spec schema accepts", () => {
  test("only the required fields", () => {
    assert.deepEqual(validateSpec(minimalSpec, "spec"), []);
  });

  test("every field, in the shapes Kubernetes users write them", () => {
    const spec = withSpec({
      version: "v1.2.3",
      imagePullPolicy: "IfNotPresent",
      imagePullSecrets: [{ name: "registry-credentials" }],
      serviceAccountName: "performer",
      config: {
        grpcPort: 9090,
        env: [
          { name: "CHAIN_ID", value: "1" },
          { name: "RPC_URL", valueFrom: { secretKeyRef: { name: "rpc", key: "url" } } },
          { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        ],
      },
      resources: {
        requests: { cpu: "500m", memory: "1Gi" },
        limits: { cpu: 2, memory: "4Gi", "nvidia.com/gpu": 1 },
      },
      scheduling: {
        nodeSelector: { "kubernetes.io/arch": "amd64" },
        tolerations: [
          { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
          { key: "dedicated", operator: "Equal", value: "avs", effect: "NoExecute", tolerationSeconds: 60 },
        ],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: "tee", operator: "In", values: ["sgx"] }] }],
            },
          },
        },
        runtimeClassName: "kata",
      },
      hardwareRequirements: { gpuCount: 1, gpuType: "nvidia-a100", teeRequired: true, teeType: "sgx" },
      deploymentMode: "kubernetes",
      healthCheck: {
        type: "grpc",
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 1,
        failureThreshold: 3,
      },
    });
    assert.deepEqual(validateSpec(spec, "spec"), []);
  });

  test("the sample in config/samples", () => {
    const sample = parse(
      readFileSync(join(import.meta.dirname, "../../../config/samples/performer.yaml"), "utf8"),
    );
    assert.deepEqual(validatePerformer(sample), []);
  });

  test("any AVS address of 0x and 40 hex digits, in either case", () => {
    const hexDigit = fc.constantFrom(..."0123456789abcdefABCDEF");
    fc.assert(
      fc.property(fc.string({ unit: hexDigit, minLength: 40, maxLength: 40 }), (hex) => {
        assert.deepEqual(validateSpec(withSpec({ avsAddress: `0x${hex}` }), "spec"), []);
      }),
    );
  });

  test("quantity strings it cannot judge, leaving their grammar to the validating webhook", () => {
    // The apiserver checks the schema before the validating webhook runs; a grammar here would pre-empt the
    // webhook's "Invalid resource format" message.
    assert.deepEqual(validateSpec(withSpec({ resources: { requests: { cpu: "500mm" } } }), "spec"), []);
  });
});

describe("the Performer spec schema refuses, naming the field and what it must be", () => {
  test("a spec without its required fields", () => {
    const problems = validateSpec({}, "spec");
    assert.equal(problemAt(problems, "spec.avsAddress").message, "is required");
    assert.equal(problemAt(problems, "spec.image").message, "is required");
    assert.equal(problems.length, 2);
  });

  for (const avsAddress of [
    "0x123",
    "1234567890abcdef1234567890abcdef12345678",
    "0x1234567890abcdef1234567890abcdef123456789",
    "0x1234567890abcdef1234567890abcdef1234567g",
    " 0x1234567890abcdef1234567890abcdef12345678",
  ]) {
    test(`the AVS address ${JSON.stringify(avsAddress)}`, () => {
      const problem = problemAt(validateSpec(withSpec({ avsAddress }), "spec"), "spec.avsAddress");
      assert.equal(problem.severity, "error");
      assert.match(problem.message, /^must match 0x followed by 40 hex digits \(got ".*"\)$/);
    });
  }

  test("AVS addresses of any other length", () => {
    const hexDigit = fc.constantFrom(..."0123456789abcdef");
    const wrongLength = fc.string({ unit: hexDigit, maxLength: 80 }).filter((hex) => hex.length !== 40);
    fc.assert(
      fc.property(wrongLength, (hex) => {
        const problems = validateSpec(withSpec({ avsAddress: `0x${hex}` }), "spec");
        assert.match(
          problemAt(problems, "spec.avsAddress").message,
          /^must match 0x followed by 40 hex digits/,
        );
      }),
    );
  });

  for (const grpcPort of [0, 65536, -1, 90.5, "9090", null]) {
    test(`the gRPC port ${JSON.stringify(grpcPort)}`, () => {
      const problems = validateSpec(withSpec({ config: { grpcPort } }), "spec");
      assert.match(
        problemAt(problems, "spec.config.grpcPort").message,
        /^must be an integer from 1 to 65535 \(got /,
      );
    });
  }

  test("a health check type other than http, grpc and tcp", () => {
    const problems = validateSpec(withSpec({ healthCheck: { type: "https" } }), "spec");
    assert.equal(
      problemAt(problems, "spec.healthCheck.type").message,
      'must be one of: http, grpc, tcp (got "https")',
    );
  });

  test("a health check port out of range and a negative delay", () => {
    const problems = validateSpec(
      withSpec({ healthCheck: { port: 70000, initialDelaySeconds: -5 } }),
      "spec",
    );
    assert.match(problemAt(problems, "spec.healthCheck.port").message, /^must be an integer from 1 to 65535/);
    assert.match(
      problemAt(problems, "spec.healthCheck.initialDelaySeconds").message,
      /^must be an integer of at least 0/,
    );
  });

  test("a health check path that is not absolute", () => {
    const problems = validateSpec(withSpec({ healthCheck: { path: "health" } }), "spec");
    assert.match(problemAt(problems, "spec.healthCheck.path").message, /^must match a path starting with \//);
  });

  test("the docker deployment mode, which a Performer cannot have", () => {
    const problems = validateSpec(withSpec({ deploymentMode: "docker" }), "spec");
    assert.equal(
      problemAt(problems, "spec.deploymentMode").message,
      'must be one of: kubernetes (got "docker")',
    );
  });

  test("an env entry without a name, by its index", () => {
    const env = [{ name: "A", value: "1" }, { name: "B" }, { value: "3" }];
    const problems = validateSpec(withSpec({ config: { env } }), "spec");
    assert.deepEqual(problems, [
      { path: "spec.config.env[2].name", message: "is required", severity: "error" },
    ]);
  });

  test("env given as a map, as Hourglass's environment field is", () => {
    const problems = validateSpec(withSpec({ config: { env: { LOG_LEVEL: "debug" } } }), "spec");
    assert.match(problemAt(problems, "spec.config.env").message, /^must be a list/);
  });

  test("a quantity that is neither an integer nor a string", () => {
    const problems = validateSpec(
      withSpec({ resources: { limits: { cpu: 0.5, memory: { size: 4 } } } }),
      "spec",
    );
    assert.match(
      problemAt(problems, "spec.resources.limits.cpu").message,
      /^must be an integer or a string \(got 0\.5\)/,
    );
    assert.match(
      problemAt(problems, "spec.resources.limits.memory").message,
      /^must be an integer or a string/,
    );
    assert.equal(problems.length, 2, "each bad quantity is one problem, not one per anyOf branch");
  });

  test("a map value under a key that is not a plain name", () => {
    const problems = validateSpec(
      withSpec({ scheduling: { nodeSelector: { "kubernetes.io/arch": 64 } } }),
      "spec",
    );
    assert.match(
      problemAt(problems, "spec.scheduling.nodeSelector[kubernetes.io/arch]").message,
      /^must be a string/,
    );
  });

  test("a toleration operator Kubernetes does not know", () => {
    const problems = validateSpec(
      withSpec({ scheduling: { tolerations: [{ operator: "Matches" }] } }),
      "spec",
    );
    assert.match(
      problemAt(problems, "spec.scheduling.tolerations[0].operator").message,
      /^must be one of: Exists, Equal/,
    );
  });

  test("a negative GPU count and a non-boolean TEE flag", () => {
    const problems = validateSpec(
      withSpec({ hardwareRequirements: { gpuCount: -1, teeRequired: "yes" } }),
      "spec",
    );
    assert.match(
      problemAt(problems, "spec.hardwareRequirements.gpuCount").message,
      /^must be an integer of at least 0/,
    );
    assert.match(
      problemAt(problems, "spec.hardwareRequirements.teeRequired").message,
      /^must be true or false/,
    );
  });

  test("everything wrong at once, each at its own path", () => {
    const problems = validateSpec(
      {
        image: "x",
        config: { grpcPort: 0, env: [{}] },
        healthCheck: { type: "exec" },
        imagePullPolicy: "Sometimes",
      },
      "spec",
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      "spec.avsAddress",
      "spec.config.env[0].name",
      "spec.config.grpcPort",
      "spec.healthCheck.type",
      "spec.imagePullPolicy",
    ]);
  });
});

describe("the Performer schema", () => {
  test("requires a spec", () => {
    const problems = validatePerformer({
      apiVersion: PERFORMER_API_VERSION,
      kind: "Performer",
      metadata: {},
    });
    assert.deepEqual(problems, [{ path: "spec", message: "is required", severity: "error" }]);
  });

  test("accepts a status as the controller writes it", () => {
    const status = {
      phase: "Running",
      observedGeneration: 3,
      podName: "performer-my-avs",
      serviceName: "performer-my-avs",
      endpoint: "performer-my-avs.ns.svc.cluster.local:9090",
      readyReplicas: 1,
      lastHealthCheck: "2026-11-28T09:00:00Z",
      conditions: [
        {
          type: "Ready",
          status: "True",
          observedGeneration: 3,
          lastTransitionTime: "2026-11-28T08:59:30.123+01:00",
          reason: "HealthCheckPassed",
          message: "",
        },
      ],
    };
    assert.deepEqual(validatePerformer({ spec: minimalSpec, status }), []);
  });

  test("refuses a phase outside the lifecycle, and malformed conditions", () => {
    const status = {
      phase: "Upgrading",
      conditions: [{ type: "Ready", status: "Yes", lastTransitionTime: "28/11/2026", reason: "not a word" }],
    };
    const problems = validatePerformer({ spec: minimalSpec, status });
    assert.equal(
      problemAt(problems, "status.phase").message,
      'must be one of: Pending, Running, Unhealthy, Failed, Terminating (got "Upgrading")',
    );
    assert.match(
      problemAt(problems, "status.conditions[0].status").message,
      /^must be one of: True, False, Unknown/,
    );
    assert.match(problemAt(problems, "status.conditions[0].lastTransitionTime").message, /RFC 3339/);
    assert.match(problemAt(problems, "status.conditions[0].reason").message, /^must match a CamelCase word/);
    assert.equal(problemAt(problems, "status.conditions[0].message").message, "is required");
  });
});

describe("compileValidator, for any schema", () => {
  const validate = compileValidator(
    Type.Object(
      {
        avs_config: Type.Object({
          supported_avs: Type.Array(
            Type.Object({ address: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
          ),
        }),
      },
      { additionalProperties: false },
    ),
  );

  test("paths start at the root when no base path is given", () => {
    const problems = validate({ avs_config: { supported_avs: [{ address: "a" }, { address: "" }] } });
    assert.deepEqual(problems, [
      { path: "avs_config.supported_avs[1].address", message: "must not be empty", severity: "error" },
    ]);
  });

  test("a field nobody knows is named, with the known ones", () => {
    const problems = validate({
      avs_config: { supported_avs: [{ adress: "a", address: "b" }] },
      grpc_port: 9000,
    });
    assert.equal(problemAt(problems, "grpc_port").message, "is not a known field; known fields: avs_config");
    assert.equal(
      problemAt(problems, "avs_config.supported_avs[0].adress").message,
      "is not a known field; known fields: address",
    );
  });

  test("a field in an object that takes none", () => {
    const validateEmpty = compileValidator(Type.Object({}, { additionalProperties: false }));
    assert.deepEqual(validateEmpty({ extra: 1 }, "operator"), [
      {
        path: "operator.extra",
        message: "is not allowed here: this object takes no fields",
        severity: "error",
      },
    ]);
  });

  test("a required field missing at the root", () => {
    assert.deepEqual(validate({}), [{ path: "avs_config", message: "is required", severity: "error" }]);
  });
});

describe("childPath", () => {
  test("joins names with dots, indexes and unusual keys in brackets", () => {
    assert.equal(childPath("", "spec"), "spec");
    assert.equal(childPath("spec", "config"), "spec.config");
    assert.equal(childPath("spec.config.env", 2), "spec.config.env[2]");
    assert.equal(
      childPath("spec.resources.limits", "nvidia.com/gpu"),
      "spec.resources.limits[nvidia.com/gpu]",
    );
    assert.equal(childPath("performer_config", "default_port"), "performer_config.default_port");
  });
});

describe("the names everyone shares", () => {
  test("apiVersion of a Performer", () => {
    assert.equal(PERFORMER_API_VERSION, "hourglass.eigenlayer.io/v1alpha1");
  });

  test("the Pod and Service of a Performer, and where the executor reaches it", () => {
    assert.equal(performerChildName("my-avs"), "performer-my-avs");
    assert.equal(
      performerEndpoint("my-avs", "avs-ns", 9090),
      "performer-my-avs.avs-ns.svc.cluster.local:9090",
    );
  });

  test("the AVS label value is the address lowercased, within the 63-character limit", () => {
    const value = avsLabelValue("0xABCDEF7890abcdef1234567890ABCDEF12345678");
    assert.equal(value, "0xabcdef7890abcdef1234567890abcdef12345678");
    assert.ok(value.length <= 63);
  });
});
