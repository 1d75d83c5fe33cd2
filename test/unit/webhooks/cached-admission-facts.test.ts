// Admission facts from informer caches, against a stand-in apiserver: live lookups until the caches have listed,
// then answers from memory that follow the watch, with no request per review.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { startCachedAdmissionFacts } from "../../../webhooks/cached-admission-facts.ts";
import { eventually, until } from "../../support/eventually.ts";
import { executorConfigYaml, supportedAvs } from "../../support/executor-configs.ts";
import { FakeApiserver } from "../../support/fake-apiserver.ts";

const AVS = "0x1234567890ABCDEF1234567890abcdef12345678";
const OTHER_AVS = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
const CONFIGMAPS = "/api/v1/configmaps";
const PERFORMERS = "/apis/hourglass.eigenlayer.io/v1alpha1/performers";

const config = (name: string) =>
  executorConfigYaml(
    "kubernetes",
    supportedAvs(`    - address: "${AVS.toLowerCase()}"
      name: ${name}
      performer_image: registry.example/one
`),
  );

function configMap(namespace: string, name: string, text: string, resourceVersion = "1") {
  return {
    metadata: {
      name,
      namespace,
      resourceVersion,
      labels: { "hourglass.eigenlayer.io/executor-config": "true" },
    },
    data: { "config.yaml": text, unrelated: "x".repeat(1000) },
  };
}

function performer(namespace: string, name: string, avs: string, deploymentMode?: string) {
  return {
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: {
      name,
      namespace,
      resourceVersion: "2",
      labels: { "hourglass.eigenlayer.io/avs": avs.toLowerCase() },
    },
    spec: { avsAddress: avs, image: "registry.example/p", ...(deploymentMode ? { deploymentMode } : {}) },
  };
}

const apiserver = new FakeApiserver();
let openGate: () => void = () => {};

before(async () => {
  await apiserver.start();
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const cms = [
    configMap("avs-one", "b-second", config("second")),
    configMap("avs-one", "a-first", config("first")),
  ];
  const performers = [
    performer("avs-one", "p1", AVS),
    performer("avs-one", "p2", OTHER_AVS),
    performer("elsewhere", "p3", AVS),
  ];
  apiserver.collections.set(CONFIGMAPS, { items: cms, resourceVersion: "10", gate });
  apiserver.collections.set(PERFORMERS, { items: performers, resourceVersion: "10", gate });
  // The namespaced collections the live lookups read.
  apiserver.collections.set("/api/v1/namespaces/avs-one/configmaps", { items: cms, resourceVersion: "10" });
  apiserver.collections.set("/apis/hourglass.eigenlayer.io/v1alpha1/namespaces/avs-one/performers", {
    items: performers.slice(0, 1),
    resourceVersion: "10",
  });
});

after(() => apiserver.stop());

test("lookups are live until the caches list, then answered from the caches as the watches change them", async (t) => {
  const facts = startCachedAdmissionFacts({
    kubeConfig: apiserver.kubeConfig,
    logger: pino({ level: "silent" }),
  });
  t.after(() => facts.stop());
  assert.equal(facts.synced(), false);
  assert.equal((await facts.executorConfig("avs-one"))?.configMapName, "a-first");
  assert.deepEqual(
    (await facts.performersOfAvs("avs-one", AVS)).map((p) => p.metadata.name),
    ["p1"],
  );
  const live = apiserver.requests.filter((u) => u.pathname.includes("/namespaces/")).map((u) => u.pathname);
  assert.deepEqual(live, [
    "/api/v1/namespaces/avs-one/configmaps",
    "/apis/hourglass.eigenlayer.io/v1alpha1/namespaces/avs-one/performers",
  ]);

  openGate();
  await until("the caches synced", () => facts.synced());
  await until("both watches open", () => apiserver.watches.size === 2);
  const requestsBefore = apiserver.requests.length;
  assert.equal((await facts.executorConfig("avs-one"))?.configMapName, "a-first");
  assert.equal(await facts.executorConfig("elsewhere"), undefined);
  const same = await facts.performersOfAvs("avs-one", AVS.toLowerCase());
  assert.deepEqual(
    same.map((p) => p.metadata.name),
    ["p1"],
  );
  // Only what the deployment-mode rules read is kept.
  assert.deepEqual(same[0]!.spec, { avsAddress: AVS });
  assert.equal(apiserver.requests.length, requestsBefore, "no request per lookup once synced");

  // The watch brings changes in: a new first config by name, a Performer in another mode, then a deletion.
  apiserver.emit(CONFIGMAPS, "ADDED", configMap("avs-one", "0-newest", config("newest"), "11"));
  await eventually("the new ConfigMap", async () =>
    (await facts.executorConfig("avs-one"))?.configMapName === "0-newest" ? true : undefined,
  );
  apiserver.emit(PERFORMERS, "ADDED", performer("avs-one", "p4", AVS, "docker"));
  await eventually("the new Performer", async () =>
    (await facts.performersOfAvs("avs-one", AVS)).length === 2 ? true : undefined,
  );
  assert.equal(
    (await facts.performersOfAvs("avs-one", AVS)).find((p) => p.metadata.name === "p4")?.spec.deploymentMode,
    "docker",
  );
  for (const name of ["0-newest", "a-first", "b-second"]) {
    apiserver.emit(CONFIGMAPS, "DELETED", configMap("avs-one", name, "", "12"));
  }
  await eventually("no config left", async () =>
    (await facts.executorConfig("avs-one")) === undefined ? true : undefined,
  );
  assert.equal(apiserver.requests.length, requestsBefore);
});
