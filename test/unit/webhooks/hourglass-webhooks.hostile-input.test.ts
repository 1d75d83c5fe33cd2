// Input an attacker on the webhook port could send, through the operator's real webhooks: each is answered with a
// 200 review that denies with a 4xx code saying what is wrong, never a 500 and never an allowed object.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { admissionApp } from "../../../webhooks/admission-app.ts";
import { noClusterFacts } from "../../../webhooks/admission-facts.ts";
import { hourglassWebhooks, WEBHOOK_PATHS } from "../../../webhooks/hourglass-webhooks.ts";
import { MAX_REVIEW_DEPTH, nestsDeeperThan, parseExactJson } from "../../../webhooks/review-json.ts";
import { createWebhookMetrics } from "../../../webhooks/webhook-metrics.ts";
import { reviewText } from "../../fixtures/admission/reviews.ts";

const app = admissionApp({
  webhooks: hourglassWebhooks(noClusterFacts),
  metrics: createWebhookMetrics(new Registry()),
  logger: pino({ level: "silent" }),
});
after(() => app.close());

interface Answer {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
}

async function answer(path: string, body: string): Promise<Answer> {
  const reply = await app.inject({
    method: "POST",
    url: path,
    headers: { "content-type": "application/json" },
    payload: body,
  });
  assert.equal(reply.statusCode, 200);
  return (reply.json() as { response: Answer }).response;
}

/** A fixture's review with `change` applied to its request's object. */
// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely, whatever their shape
type Json = any;

function reviewWith(fixture: string, change: (object: Json) => void): Json {
  const review = JSON.parse(reviewText(fixture));
  change(review.request.object);
  return review;
}

/** The object nested `levels` deep at spec.scheduling.affinity, written out as text (JSON.stringify recurses). */
function deeplyNested(levels: number): string {
  const review = JSON.stringify(
    reviewWith("performer-minimal-create", (o) => {
      o.spec.scheduling = { affinity: "HOLE" };
    }),
  );
  return review.replace('"HOLE"', `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`);
}

test("100,000 levels of nesting are refused with code 400 by every webhook, not a stack overflow", async () => {
  for (const path of Object.values(WEBHOOK_PATHS)) {
    const response = await answer(path, deeplyNested(100_000));
    assert.equal(response.allowed, false, path);
    assert.equal(response.status?.code, 400, `${path}: ${response.status?.message}`);
    assert.match(response.status?.message ?? "", /deeper than 100 levels/);
    assert.equal(response.uid, "b6a5c1a0-0001-4c1e-8f00-000000000001", "the uid is found without parsing");
  }
});

test("a review as deep as a real object gets is decided as usual", async () => {
  const response = await answer(WEBHOOK_PATHS.mutatePerformer, deeplyNested(MAX_REVIEW_DEPTH - 10));
  assert.equal(response.allowed, true, response.status?.message);
});

test("depth counts brackets outside strings only", () => {
  const inString = JSON.stringify({ s: "[".repeat(500) });
  assert.equal(nestsDeeperThan(inString, 3), false);
  assert.equal(nestsDeeperThan(JSON.stringify({ s: '\\"[[[[' }), 1), false);
  assert.equal(nestsDeeperThan("[[[[]]]]", 3), true);
  assert.equal(nestsDeeperThan("[[[]]]", 3), false);
});

test("an integer beyond 2^53 is read exactly: cpu 9007199254740993 is above the limit 9007199254740992", async () => {
  const review = JSON.stringify(
    reviewWith("performer-minimal-create", (o) => {
      o.spec.resources = { requests: { cpu: "EXACT" }, limits: { cpu: "9007199254740992", memory: "1Gi" } };
    }),
  ).replace('"EXACT"', "9007199254740993");
  const response = await answer(WEBHOOK_PATHS.validatePerformer, review);
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 422);
  assert.match(
    response.status?.message ?? "",
    /spec\.resources\.requests\.cpu: must be less than or equal to the limit 9007199254740992 \(got 9007199254740993\)/,
  );
  const equal = review.replace("9007199254740993", "9007199254740992");
  assert.equal((await answer(WEBHOOK_PATHS.validatePerformer, equal)).allowed, true);
});

test("exact JSON keeps long integers as their text and every other value as JSON.parse reads it", () => {
  assert.deepEqual(
    parseExactJson('{"a":[9007199254740993,-12345678901234567890,1.5,1e21,9007199254740991,"x"]}'),
    {
      a: ["9007199254740993", "-12345678901234567890", 1.5, 1e21, 9007199254740991, "x"],
    },
  );
});

test("a YAML alias bomb in an executor config is a 422 denial naming the key, not a 500", async () => {
  const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(",")}]`,
    );
  const review = reviewWith("executor-config-valid-create", (o) => {
    o.data["config.yaml"] = lines.join("\n");
  });
  const response = await answer(WEBHOOK_PATHS.validateExecutorConfig, JSON.stringify(review));
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 422);
  assert.match(response.status?.message ?? "", /^data\[config\.yaml\]: uses more than 100 aliases/);
});

test("a quantity of 2.8 million digits is a 422 denial that quotes it cut short", async () => {
  const review = reviewWith("performer-minimal-create", (o) => {
    o.spec.resources = { requests: { cpu: "9".repeat(2_800_000) }, limits: { cpu: "1", memory: "1Gi" } };
  });
  const response = await answer(WEBHOOK_PATHS.validatePerformer, JSON.stringify(review));
  assert.equal(response.status?.code, 422);
  assert.ok((response.status?.message.length ?? 0) < 1000, "the message does not quote the whole value");
  assert.match(response.status?.message ?? "", /must be at most 64 characters long/);
});
