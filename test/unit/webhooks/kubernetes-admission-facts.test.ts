// The cluster lookups against a stand-in apiserver on loopback: which requests they make (label selectors), how
// they read the answers, and how failures and silence become AdmissionLookupErrors.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { AdmissionLookupError } from "../../../webhooks/admission-facts.ts";
import { kubernetesAdmissionFacts } from "../../../webhooks/kubernetes-admission-facts.ts";
import { executorConfigYaml, supportedAvs } from "../../support/executor-configs.ts";

const AVS = "0x1234567890ABCDEF1234567890abcdef12345678";

const validConfig = executorConfigYaml(
  "kubernetes",
  supportedAvs(`    - address: "0x1234567890abcdef1234567890abcdef12345678"
      name: one
      performer_image: registry.example/one
`),
);

function configMap(name: string, data: Record<string, string>) {
  return { metadata: { name, labels: { "hourglass.eigenlayer.io/executor-config": "true" } }, data };
}

const requests: string[] = [];
const pending: ServerResponse[] = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://apiserver");
  requests.push(`${url.pathname}?labelSelector=${url.searchParams.get("labelSelector")}`);
  const json = (status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const segments = url.pathname.split("/");
  const namespace = segments[segments.indexOf("namespaces") + 1];
  if (namespace === "silent") {
    pending.push(res); // never answered: the lookup must give up on its own
    return;
  }
  if (namespace === "forbidden") {
    json(403, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403 });
    return;
  }
  if (url.pathname === `/api/v1/namespaces/${namespace}/configmaps`) {
    const items =
      namespace === "avs-one"
        ? [
            configMap("b-second", { "config.yaml": validConfig.replace("name: one", "name: second") }),
            configMap("a-broken", { "config.yaml": "deployment_mode: [" }),
            configMap("a-first", { "config.yaml": validConfig }),
          ]
        : [];
    json(200, { kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items });
    return;
  }
  if (url.pathname === `/apis/hourglass.eigenlayer.io/v1alpha1/namespaces/${namespace}/performers`) {
    const items = [
      {
        apiVersion: "hourglass.eigenlayer.io/v1alpha1",
        kind: "Performer",
        metadata: { name: "p1", namespace },
        spec: { avsAddress: AVS, image: "registry.example/p:v1" },
      },
    ];
    json(200, { apiVersion: "hourglass.eigenlayer.io/v1alpha1", kind: "PerformerList", metadata: {}, items });
    return;
  }
  json(404, { kind: "Status", code: 404 });
}

const server = createServer(answer);
let kubeConfig: KubeConfig;

before(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "fake",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "tester", token: "token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "tester" }],
    currentContext: "fake",
  });
});

after(async () => {
  for (const res of pending) res.destroy();
  server.closeAllConnections();
  server.close();
});

test("the executor config is the first valid labelled ConfigMap by name", async () => {
  requests.length = 0;
  const facts = kubernetesAdmissionFacts(kubeConfig, pino({ level: "silent" }));
  const found = await facts.executorConfig("avs-one");
  assert.equal(found?.configMapName, "a-first");
  assert.deepEqual(requests, [
    "/api/v1/namespaces/avs-one/configmaps?labelSelector=hourglass.eigenlayer.io/executor-config=true",
  ]);
  assert.equal(await facts.executorConfig("empty"), undefined);
});

test("an executor config that does not validate is reported once per text, not on every review", async () => {
  const lines: string[] = [];
  const destination = { write: (line: string) => lines.push(line) };
  const facts = kubernetesAdmissionFacts(kubeConfig, pino({ level: "warn" }, destination));
  for (let i = 0; i < 3; i++) assert.equal((await facts.executorConfig("avs-one"))?.configMapName, "a-first");
  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.configMap === "a-broken");
  assert.equal(warnings.length, 1, lines.join(""));
  assert.equal(warnings[0].msg, "ignoring an executor config that does not validate");
});

test("the Performers of an AVS are selected by the lowercased AVS label", async () => {
  requests.length = 0;
  const facts = kubernetesAdmissionFacts(kubeConfig, pino({ level: "silent" }));
  const performers = await facts.performersOfAvs("avs-one", AVS);
  assert.deepEqual(
    performers.map((p) => p.metadata.name),
    ["p1"],
  );
  assert.deepEqual(requests, [
    `/apis/hourglass.eigenlayer.io/v1alpha1/namespaces/avs-one/performers?labelSelector=hourglass.eigenlayer.io/avs=${AVS.toLowerCase()}`,
  ]);
});

test("a refused lookup is an AdmissionLookupError with the status and what to grant", async () => {
  const facts = kubernetesAdmissionFacts(kubeConfig, pino({ level: "silent" }));
  await assert.rejects(
    facts.executorConfig("forbidden"),
    (err: Error) =>
      err instanceof AdmissionLookupError &&
      /namespace forbidden: HTTP 403 \(grant the operator's ServiceAccount list/.test(err.message),
  );
});

test("a lookup the apiserver never answers gives up within its bound", async () => {
  const facts = kubernetesAdmissionFacts(kubeConfig, pino({ level: "silent" }), 200);
  await assert.rejects(
    facts.performersOfAvs("silent", AVS),
    (err: Error) => err instanceof AdmissionLookupError && /no answer within 0\.2s/.test(err.message),
  );
});
