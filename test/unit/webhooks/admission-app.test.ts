// The HTTP contract of the admission server, whatever the webhooks decide: every POST is answered 200 with an
// admission.k8s.io/v1 AdmissionReview echoing request.uid, and unreadable input is a 400 inside that review.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { error, warning } from "../../../src/api/problem.ts";
import { admissionApp, MAX_REVIEW_BYTES, type Webhook } from "../../../webhooks/admission-app.ts";
import { type AdmissionDecision, decision } from "../../../webhooks/admission-decision.ts";
import { AdmissionLookupError } from "../../../webhooks/admission-facts.ts";
import { createWebhookMetrics } from "../../../webhooks/webhook-metrics.ts";

const CONFIGMAPS = { group: "", resource: "configmaps" };

/** A webhook whose decision the test chooses, by the object's `data.answer`. */
const scripted: Webhook = {
  path: "/scripted",
  resource: CONFIGMAPS,
  async decide(request): Promise<AdmissionDecision> {
    const answer = (request.object as { data?: { answer?: string } } | undefined)?.data?.answer;
    switch (answer) {
      case "deny":
        return decision([
          error("data.a", "is wrong; fix a"),
          warning("data.w", "is odd"),
          error("data.b", "is wrong too"),
        ]);
      case "patch":
        return decision([], [{ op: "add", path: "/metadata/labels", value: { "example.com/x": "y" } }]);
      case "lookup":
        throw new AdmissionLookupError("cannot read ConfigMaps in namespace ns: timed out after 2s");
      case "crash":
        throw new TypeError("something broke");
      default:
        return decision([]);
    }
  },
};

const registry = new Registry();
const app = admissionApp({
  webhooks: [scripted],
  metrics: createWebhookMetrics(registry),
  logger: pino({ level: "silent" }),
});
after(() => app.close());

function review(uid: string, answer: string, resource = { ...CONFIGMAPS, version: "v1" }) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource,
      namespace: "ns",
      name: "cm",
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { answer } },
    },
  };
}

interface ReviewResponse {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string; reason?: string };
    patch?: string;
    patchType?: string;
    warnings?: string[];
  };
}

async function post(payload: string | Buffer, contentType?: string): Promise<ReviewResponse> {
  const reply = await app.inject({
    method: "POST",
    url: "/scripted",
    headers: contentType === undefined ? {} : { "content-type": contentType },
    payload,
  });
  assert.equal(reply.statusCode, 200, "every POST is answered 200");
  assert.match(String(reply.headers["content-type"]), /^application\/json/);
  const body = reply.json() as ReviewResponse;
  assert.equal(body.apiVersion, "admission.k8s.io/v1");
  assert.equal(body.kind, "AdmissionReview");
  return body;
}

test("an allowed review echoes the uid and carries neither status nor patch", async () => {
  const { response } = await post(JSON.stringify(review("uid-allowed", "yes")), "application/json");
  assert.deepEqual(response, { uid: "uid-allowed", allowed: true });
});

test("the content type may carry a charset", async () => {
  const { response } = await post(
    JSON.stringify(review("uid-charset", "yes")),
    "application/json; charset=utf-8",
  );
  assert.equal(response.allowed, true);
});

test("a denial is code 422 with every error in one message, and warnings apart", async () => {
  const { response } = await post(JSON.stringify(review("uid-denied", "deny")), "application/json");
  assert.equal(response.uid, "uid-denied");
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 422);
  assert.equal(response.status?.message, "data.a: is wrong; fix a; data.b: is wrong too");
  assert.deepEqual(response.warnings, ["data.w: is odd"]);
  assert.equal(response.patch, undefined);
});

test("a patch travels as base64 JSON Patch", async () => {
  const { response } = await post(JSON.stringify(review("uid-patch", "patch")), "application/json");
  assert.equal(response.allowed, true);
  assert.equal(response.patchType, "JSONPatch");
  assert.deepEqual(JSON.parse(Buffer.from(response.patch ?? "", "base64").toString()), [
    { op: "add", path: "/metadata/labels", value: { "example.com/x": "y" } },
  ]);
});

test("malformed JSON is refused with code 400, and the server keeps serving", async () => {
  const { response } = await post('{"apiVersion": "admission.k8s.io/v1", "kind": ', "application/json");
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 400);
  assert.equal(response.uid, "");
  assert.match(response.status?.message ?? "", /not valid JSON/);
  const next = await post(JSON.stringify(review("uid-after", "yes")), "application/json");
  assert.deepEqual(next.response, { uid: "uid-after", allowed: true });
});

test("a wrong content type is refused with code 400 naming the type to send", async () => {
  for (const contentType of ["text/plain", "application/yaml", undefined]) {
    const { response } = await post(JSON.stringify(review("uid-ct", "yes")), contentType);
    assert.equal(response.allowed, false, String(contentType));
    assert.equal(response.status?.code, 400);
    assert.match(response.status?.message ?? "", /send application\/json/);
  }
});

test("an empty body is refused with code 400", async () => {
  const { response } = await post("", "application/json");
  assert.equal(response.status?.code, 400);
  assert.match(response.status?.message ?? "", /empty/);
});

test("JSON that is not an AdmissionReview is refused with code 400 naming the field, echoing a salvaged uid", async () => {
  const wrongVersion = { ...review("uid-v1beta1", "yes"), apiVersion: "admission.k8s.io/v1beta1" };
  const noOperation = review("uid-noop", "yes") as { request: Record<string, unknown> };
  delete noOperation.request.operation;
  const cases: [unknown, string, RegExp][] = [
    [wrongVersion, "uid-v1beta1", /apiVersion: must be one of: admission\.k8s\.io\/v1/],
    [noOperation, "uid-noop", /request\.operation: is required/],
    [{ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, "", /request: is required/],
    [[1, 2], "", /not an admission\.k8s\.io\/v1 AdmissionReview/],
    ["just a string", "", /not an admission\.k8s\.io\/v1 AdmissionReview/],
    [null, "", /not an admission\.k8s\.io\/v1 AdmissionReview/],
  ];
  for (const [body, uid, message] of cases) {
    const { response } = await post(JSON.stringify(body), "application/json");
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 400);
    assert.equal(response.uid, uid);
    assert.match(response.status?.message ?? "", message);
  }
});

test("a review about a resource the webhook is not registered for is refused with code 400", async () => {
  const body = review("uid-wrong", "yes", { group: "apps", version: "v1", resource: "deployments" });
  const { response } = await post(JSON.stringify(body), "application/json");
  assert.equal(response.uid, "uid-wrong");
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 400);
  assert.match(response.status?.message ?? "", /admits configmaps, not deployments\.apps/);
});

test("a body over 7 MiB is answered with a well-formed review carrying code 413", async () => {
  const padded = { ...review("uid-big", "yes"), padding: "x".repeat(MAX_REVIEW_BYTES) };
  const { response } = await post(JSON.stringify(padded), "application/json");
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 413);
  const next = await post(JSON.stringify(review("uid-after-big", "yes")), "application/json");
  assert.equal(next.response.allowed, true);
});

test("a body just under 7 MiB is read", async () => {
  const padded = JSON.stringify({ ...review("uid-near", "yes"), padding: "" });
  const room = MAX_REVIEW_BYTES - padded.length;
  const body = JSON.stringify({ ...review("uid-near", "yes"), padding: "x".repeat(room) });
  assert.equal(body.length, MAX_REVIEW_BYTES);
  const { response } = await post(body, "application/json");
  assert.deepEqual(response, { uid: "uid-near", allowed: true });
});

test("a failed cluster lookup is code 503 and says to retry; a crash is code 500; neither stops the server", async () => {
  const lookup = await post(JSON.stringify(review("uid-lookup", "lookup")), "application/json");
  assert.equal(lookup.response.uid, "uid-lookup");
  assert.equal(lookup.response.allowed, false);
  assert.equal(lookup.response.status?.code, 503);
  assert.match(lookup.response.status?.message ?? "", /timed out after 2s; try again/);
  const crash = await post(JSON.stringify(review("uid-crash", "crash")), "application/json");
  assert.equal(crash.response.uid, "uid-crash");
  assert.equal(crash.response.status?.code, 500);
  const next = await post(JSON.stringify(review("uid-after-crash", "yes")), "application/json");
  assert.equal(next.response.allowed, true);
});

test("answers are counted by webhook and code, and timed by webhook", async () => {
  const local = new Registry();
  const counted = admissionApp({
    webhooks: [scripted],
    metrics: createWebhookMetrics(local),
    logger: pino({ level: "silent" }),
  });
  try {
    for (const answer of ["yes", "yes", "deny"]) {
      await counted.inject({
        method: "POST",
        url: "/scripted",
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(review(`uid-${answer}`, answer)),
      });
    }
    await counted.inject({
      method: "POST",
      url: "/scripted",
      headers: { "content-type": "text/plain" },
      payload: "x",
    });
    const text = await local.metrics();
    assert.match(text, /^hourglass_webhook_requests_total\{webhook="\/scripted",code="200"\} 2$/m);
    assert.match(text, /^hourglass_webhook_requests_total\{webhook="\/scripted",code="422"\} 1$/m);
    assert.match(text, /^hourglass_webhook_requests_total\{webhook="\/scripted",code="400"\} 1$/m);
    assert.match(text, /^hourglass_webhook_latency_seconds_count\{webhook="\/scripted"\} 4$/m);
  } finally {
    await counted.close();
  }
});
