// The operator's API clients share one connection to the apiserver (see PooledKubeConfig): a new TLS connection
// per request costs a handshake on both sides and dominated the controller's CPU.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoreV1Api, Watch } from "@kubernetes/client-node";
import { apiserverProxy } from "../support/apiserver-proxy.ts";
import { testCluster, useNamespace } from "../support/cluster.ts";

test("API calls and watches from one PooledKubeConfig share one connection", async (t) => {
  const ns = await useNamespace(t, "pool");
  const proxy = await apiserverProxy(t, testCluster().kubeConfig());
  const core = proxy.kubeConfig.makeApiClient(CoreV1Api);
  const events: string[] = [];
  const watch = await new Watch(proxy.kubeConfig).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    {},
    (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
    () => {},
  );
  t.after(() => watch.abort());
  for (let i = 0; i < 10; i++) {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `sequential-${i}` } } });
  }
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `concurrent-${i}` } } }),
    ),
  );
  const listed = await core.listNamespacedConfigMap({ namespace: ns });
  assert.equal(listed.items.filter((c) => /^(sequential|concurrent)-/.test(c.metadata!.name!)).length, 20);
  for (let i = 0; i < 50 && events.filter((e) => e.startsWith("ADDED ")).length < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(events.includes("ADDED concurrent-9"), `the watch saw: ${events.join(", ")}`);
  assert.equal(proxy.connections(), 1, "every request and the watch went over the first connection");
});
