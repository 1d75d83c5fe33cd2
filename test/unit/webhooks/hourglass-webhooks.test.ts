// The operator's webhooks end to end through HTTP (inject), from AdmissionReview fixtures to the review the
// apiserver gets back, with the cluster facts supplied by a fake.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { admissionApp } from "../../../webhooks/admission-app.ts";
import {
  type AdmissionFacts,
  AdmissionLookupError,
  type NamespaceExecutorConfig,
  noClusterFacts,
} from "../../../webhooks/admission-facts.ts";
import { hourglassWebhooks, WEBHOOK_PATHS } from "../../../webhooks/hourglass-webhooks.ts";
import { createWebhookMetrics } from "../../../webhooks/webhook-metrics.ts";
import { reviewText } from "../../fixtures/admission/reviews.ts";
import { executorConfigYaml, namespaceExecutorConfig, supportedAvs } from "../../support/executor-configs.ts";

interface ReviewResponse {
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    patch?: string;
    patchType?: string;
    warnings?: string[];
  };
}

function appWith(facts: AdmissionFacts) {
  const app = admissionApp({
    webhooks: hourglassWebhooks(facts),
    metrics: createWebhookMetrics(new Registry()),
    logger: pino({ level: "silent" }),
  });
  after(() => app.close());
  return app;
}

async function admit(
  app: ReturnType<typeof appWith>,
  path: string,
  fixture: string,
): Promise<ReviewResponse["response"]> {
  const reply = await app.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/json" },
    payload: reviewText(fixture),
  });
  assert.equal(reply.statusCode, 200);
  const { response } = reply.json() as ReviewResponse;
  const { request } = JSON.parse(reviewText(fixture)) as { request: { uid: string } };
  assert.equal(response.uid, request.uid, "the uid is echoed");
  return response;
}

function decodedPatch(response: ReviewResponse["response"]): unknown[] {
  assert.equal(response.patchType, "JSONPatch");
  return JSON.parse(Buffer.from(response.patch ?? "", "base64").toString("utf8"));
}

/** Facts from fixed data, recording what was asked. */
function fakeFacts(executorConfig?: NamespaceExecutorConfig) {
  const asked: string[] = [];
  const facts: AdmissionFacts = {
    async executorConfig(namespace) {
      asked.push(`executorConfig ${namespace}`);
      return executorConfig;
    },
    async performersOfAvs(namespace, avs) {
      asked.push(`performersOfAvs ${namespace} ${avs}`);
      return [];
    },
  };
  return { facts, asked };
}

const dockerConfig = namespaceExecutorConfig(
  executorConfigYaml(
    "docker",
    supportedAvs(`    - address: "0x1234567890abcdef1234567890abcdef12345678"
      name: one
      performer_image: registry.example/one
      endpoint: performer-one:9090
`),
  ),
);

test("the mutating webhook answers a minimal Performer with its defaults as a JSON Patch", async () => {
  const app = appWith(noClusterFacts);
  const response = await admit(app, WEBHOOK_PATHS.mutatePerformer, "performer-minimal-create");
  assert.equal(response.allowed, true);
  const paths = decodedPatch(response)
    .map((op) => (op as { path: string }).path)
    .sort();
  assert.deepEqual(paths, [
    "/metadata/labels",
    "/spec/config",
    "/spec/deploymentMode",
    "/spec/healthCheck",
    "/spec/resources",
  ]);
});

test("the mutating webhook sends no patch for a complete Performer, nor on DELETE", async () => {
  const app = appWith(noClusterFacts);
  for (const fixture of ["performer-complete-create", "performer-delete"]) {
    const response = await admit(app, WEBHOOK_PATHS.mutatePerformer, fixture);
    assert.equal(response.allowed, true);
    assert.equal(response.patch, undefined, fixture);
    assert.equal(response.patchType, undefined, fixture);
  }
});

test("the validating webhook denies with code 422 and one message naming every field", async () => {
  const app = appWith(noClusterFacts);
  const response = await admit(app, WEBHOOK_PATHS.validatePerformer, "performer-bad-resources-create");
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 422);
  const message = response.status?.message ?? "";
  assert.match(
    message,
    /spec\.resources\.requests\.cpu: Invalid resource format "500mm" \(examples: 500m, 2\)/,
  );
  assert.match(message, /spec\.resources\.limits\.cpu: Invalid resource format "2 cores"/);
  assert.match(
    message,
    /spec\.resources\.requests\.memory: must be less than or equal to the limit 4Gi \(got 8Gi\)/,
  );
});

test("the validating webhook returns warnings for risky but legal input", async () => {
  const app = appWith(noClusterFacts);
  const response = await admit(app, WEBHOOK_PATHS.validatePerformer, "performer-latest-create");
  assert.equal(response.allowed, true);
  assert.equal(response.status, undefined);
  assert.deepEqual(response.warnings?.length, 1);
  assert.match(response.warnings?.[0] ?? "", /^spec\.image: uses :latest/);
});

test("the validating webhook looks up the request's namespace and AVS, and applies the executor config", async () => {
  const { facts, asked } = fakeFacts(dockerConfig);
  const app = appWith(facts);
  const response = await admit(app, WEBHOOK_PATHS.validatePerformer, "performer-minimal-create");
  assert.deepEqual(asked.sort(), [
    "executorConfig avs-one",
    "performersOfAvs avs-one 0x1234567890ABCDEF1234567890abcdef12345678",
  ]);
  assert.equal(response.allowed, false);
  assert.match(response.status?.message ?? "", /mixed deployment modes not supported/);
});

test("without a cluster the lookup rules are skipped and the operator's defaults apply", async () => {
  const app = appWith(noClusterFacts);
  const response = await admit(app, WEBHOOK_PATHS.validatePerformer, "performer-minimal-create");
  assert.equal(response.allowed, true);
});

test("DELETE asks the cluster nothing", async () => {
  const { facts, asked } = fakeFacts();
  const app = appWith(facts);
  await admit(app, WEBHOOK_PATHS.validatePerformer, "performer-delete");
  await admit(app, WEBHOOK_PATHS.mutatePerformer, "performer-delete");
  assert.deepEqual(asked, []);
});

test("an UPDATE that keeps the spec asks the cluster nothing, and is allowed unpatched", async () => {
  const { facts, asked } = fakeFacts(dockerConfig);
  const app = appWith(facts);
  const review = JSON.parse(reviewText("performer-complete-create"));
  review.request.operation = "UPDATE";
  review.request.oldObject = structuredClone(review.request.object);
  review.request.object.metadata.labels = { ...review.request.object.metadata.labels, team: "avs-one" };
  for (const path of [WEBHOOK_PATHS.validatePerformer, WEBHOOK_PATHS.mutatePerformer]) {
    const reply = await app.inject({
      method: "POST",
      url: path,
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(review),
    });
    const { response } = reply.json() as ReviewResponse;
    assert.equal(response.allowed, true, path);
    assert.equal(response.patch, undefined, path);
  }
  assert.deepEqual(asked, []);
});

test("a failed lookup is answered 503, never decided without the facts", async () => {
  const failing: AdmissionFacts = {
    executorConfig: async () => {
      throw new AdmissionLookupError(
        "could not list the executor-config ConfigMaps in namespace avs-one: HTTP 403",
      );
    },
    performersOfAvs: async () => [],
  };
  const app = appWith(failing);
  for (const path of [WEBHOOK_PATHS.validatePerformer, WEBHOOK_PATHS.mutatePerformer]) {
    const response = await admit(app, path, "performer-minimal-create");
    assert.equal(response.allowed, false, path);
    assert.equal(response.status?.code, 503, path);
    assert.match(response.status?.message ?? "", /HTTP 403; try again$/);
  }
});

test("the executor-config webhook refuses mixed modes, and refuses Performers sent to it", async () => {
  const app = appWith(noClusterFacts);
  const mixed = await admit(app, WEBHOOK_PATHS.validateExecutorConfig, "executor-config-mixed-update");
  assert.equal(mixed.allowed, false);
  assert.equal(mixed.status?.code, 422);
  assert.match(mixed.status?.message ?? "", /mixed deployment modes not supported/);
  const valid = await admit(app, WEBHOOK_PATHS.validateExecutorConfig, "executor-config-valid-create");
  assert.equal(valid.allowed, true);
  const misrouted = await admit(app, WEBHOOK_PATHS.validateExecutorConfig, "performer-minimal-create");
  assert.equal(misrouted.status?.code, 400);
});
