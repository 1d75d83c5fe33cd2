// Plain JSON requests to the apiserver: what goes on the wire, and how a refusal reads.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { apiErrorMessage, isConflict } from "../../../src/kube/api-errors.ts";
import { requestJson } from "../../../src/kube/json-request.ts";
import { RecordingApiserver } from "../../support/recording-apiserver.ts";

const server = new RecordingApiserver();
before(() => server.start());
after(() => server.stop());

test("a write sends its body as JSON with the query, the content type and the kubeconfig's credentials", async () => {
  server.requests.length = 0;
  server.answers.push({ status: 200, body: { kind: "Pod", metadata: { name: "p", uid: "u-1" } } });
  const answer = await requestJson<{ metadata: { uid: string } }>(server.kubeConfig, {
    method: "PATCH",
    path: "/api/v1/namespaces/ns/pods/p",
    query: { fieldManager: "me" },
    body: { metadata: { labels: { a: "1" } } },
    contentType: "application/merge-patch+json",
  });
  assert.equal(answer.metadata.uid, "u-1");
  const [sent] = server.requests;
  assert.equal(sent?.method, "PATCH");
  assert.equal(sent?.path, "/api/v1/namespaces/ns/pods/p");
  assert.deepEqual(sent?.query, { fieldManager: "me" });
  assert.equal(sent?.headers["content-type"], "application/merge-patch+json");
  assert.equal(sent?.headers.authorization, "Bearer secret-token");
  assert.deepEqual(sent?.body, { metadata: { labels: { a: "1" } } });
});

test("a body without a content type goes as application/json; a GET sends none", async () => {
  server.requests.length = 0;
  await requestJson(server.kubeConfig, { method: "POST", path: "/api/v1/namespaces/ns/events", body: {} });
  server.answers.push({ status: 200, body: { items: [] } });
  await requestJson(server.kubeConfig, { method: "GET", path: "/api/v1/pods" });
  assert.equal(server.requests[0]?.headers["content-type"], "application/json");
  assert.equal(server.requests[1]?.headers["content-type"], undefined);
  assert.equal(server.requests[1]?.body, undefined);
});

test("a refusal is an ApiException with the status and the apiserver's message", async () => {
  server.answers.push({
    status: 409,
    body: { kind: "Status", code: 409, message: 'pods "p" already exists', reason: "AlreadyExists" },
  });
  const error = await requestJson(server.kubeConfig, {
    method: "POST",
    path: "/api/v1/namespaces/ns/pods",
    body: {},
  }).catch((e: unknown) => e);
  assert.ok(error instanceof ApiException);
  assert.equal(error.code, 409);
  assert.ok(isConflict(error));
  assert.equal(apiErrorMessage(error), 'pods "p" already exists');
  assert.match(error.message, /POST \/api\/v1\/namespaces\/ns\/pods: pods "p" already exists/);
});

test("a refusal that is not JSON keeps its text, and its status names it", async () => {
  server.answers.push({ status: 503, body: "storage is (re)initializing" });
  const error = await requestJson(server.kubeConfig, { method: "GET", path: "/apis/x" }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiException);
  assert.equal(error.code, 503);
  assert.equal(error.body, "storage is (re)initializing");
  assert.equal(apiErrorMessage(error), "HTTP 503");
});

test("the signal aborts the request", async () => {
  let release = () => {};
  server.answers.push({ status: 200, body: {}, gate: new Promise<void>((r) => (release = r)) });
  const abort = new AbortController();
  const pending = requestJson(server.kubeConfig, { method: "GET", path: "/slow", signal: abort.signal });
  setTimeout(() => abort.abort(new Error("given up")), 20);
  await assert.rejects(pending);
  release();
});

test("a kubeconfig without a current cluster is refused before any request", async () => {
  const { KubeConfig } = await import("@kubernetes/client-node");
  await assert.rejects(requestJson(new KubeConfig(), { method: "GET", path: "/" }), /no current cluster/);
});
