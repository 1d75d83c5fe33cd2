// The apiserver list-watch source against a stand-in apiserver: lists in pages, each item transformed as its page
// arrives, and the apiserver's refusals as ApiExceptions the informer understands.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import { isGone } from "../../../src/kube/api-errors.ts";
import { apiListWatch } from "../../../src/kube/list-watch.ts";
import { FakeApiserver } from "../../support/fake-apiserver.ts";

const PATH = "/api/v1/configmaps";
const apiserver = new FakeApiserver();

before(() => apiserver.start());
after(() => apiserver.stop());

const configMap = (i: number) => ({
  metadata: { name: `c${i}`, namespace: "ns" },
  data: { big: "x".repeat(100) },
});

test("a list is read in pages of the page size, every item transformed, at the first page's resourceVersion", async () => {
  apiserver.collections.set(PATH, {
    items: Array.from({ length: 5 }, (_, i) => configMap(i)),
    resourceVersion: "77",
  });
  apiserver.requests.length = 0;
  const source = apiListWatch<KubernetesObject>(apiserver.kubeConfig, {
    path: PATH,
    labelSelector: "hourglass.eigenlayer.io/executor-config=true",
    inactivityTimeoutMs: 60_000,
    pageSize: 2,
  });
  const listed = await source.list(({ metadata }) => ({ metadata }));
  assert.equal(listed.resourceVersion, "77");
  assert.deepEqual(
    listed.items.map((i) => i.metadata?.name),
    ["c0", "c1", "c2", "c3", "c4"],
  );
  assert.ok(listed.items.every((i) => !("data" in i)));
  assert.deepEqual(
    apiserver.requests.map((u) => [
      u.searchParams.get("limit"),
      u.searchParams.get("continue"),
      u.searchParams.get("labelSelector"),
    ]),
    [
      ["2", null, "hourglass.eigenlayer.io/executor-config=true"],
      ["2", "2", "hourglass.eigenlayer.io/executor-config=true"],
      ["2", "4", "hourglass.eigenlayer.io/executor-config=true"],
    ],
  );
});

test("a refused list is an ApiException with the apiserver's status: an expired continue token is 410 Gone", async () => {
  const missing = apiListWatch<KubernetesObject>(apiserver.kubeConfig, {
    path: "/api/v1/nothing",
    inactivityTimeoutMs: 60_000,
  });
  await assert.rejects(
    missing.list((o) => o),
    (error: Error & { code?: number }) => error.code === 404 && /not found/.test(error.message),
  );
  apiserver.collections.set(PATH, {
    items: [configMap(0), configMap(1)],
    resourceVersion: "5",
    expireContinue: true,
  });
  const paged = apiListWatch<KubernetesObject>(apiserver.kubeConfig, {
    path: PATH,
    inactivityTimeoutMs: 60_000,
    pageSize: 1,
  });
  // isGone is what makes the informer start its list over.
  await assert.rejects(
    paged.list((o) => o),
    (error: unknown) => isGone(error),
  );
});
