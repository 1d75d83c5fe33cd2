// The executor's Performer store against the real kube-apiserver (the global setup's webhooks admit what it
// creates): it sees only the executor's Performers in its namespace, and the apiserver's answers reach the
// manager as the errors it decides on (409 on a second create, 404 on a second delete).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CustomObjectsApi } from "@kubernetes/client-node";
import type { Performer } from "../../src/api/performer.ts";
import { kubernetesPerformerStore } from "../../src/executor/kubernetes-performer-store.ts";
import { desiredPerformer } from "../../src/executor/performer-manifest.ts";
import type { ExecutorSettings, KubernetesSettings } from "../../src/executor/settings.ts";
import { isConflict, isNotFound } from "../../src/kube/api-errors.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testCluster, useNamespace } from "../support/cluster.ts";
import { until } from "../support/eventually.ts";

const log = createLogger("test", { level: "silent" });
const AVS = { address: "0x1234567890abcdef1234567890abcdef12345678", name: "store" };

function kubernetesSettings(namespace: string): KubernetesSettings {
  return {
    namespace,
    crdGroup: "hourglass.eigenlayer.io",
    crdVersion: "v1alpha1",
    crdPlural: "performers",
    cleanupOnShutdown: true,
    cleanupTimeoutMs: 10_000,
    connectionTimeoutMs: 10_000,
  };
}

function performerFor(k8s: KubernetesSettings, version: string): Performer {
  const performer = { servicePattern: "", defaultPort: 9090 } as ExecutorSettings["performer"];
  return desiredPerformer(AVS, { image: "ghcr.io/x/perf", version }, { kubernetes: k8s, performer });
}

describe("the executor's Performer store against the apiserver", () => {
  it("creates, lists, watches and deletes only the executor's Performers in its namespace", async (t) => {
    const namespace = await useNamespace(t, "store");
    const elsewhere = await useNamespace(t, "store");
    const kubeConfig = testCluster().kubeConfig();
    const k8s = kubernetesSettings(namespace);
    const store = kubernetesPerformerStore({ kubeConfig, settings: k8s, log });
    t.after(() => store.stopWatching());

    // Not the executor's: no managed-by label, or another namespace.
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const unlabelled = performerFor(k8s, "v0");
    unlabelled.metadata = { name: "by-hand", namespace };
    await custom.createNamespacedCustomObject({
      group: k8s.crdGroup,
      version: k8s.crdVersion,
      plural: k8s.crdPlural,
      namespace,
      body: unlabelled,
    });
    await kubernetesPerformerStore({ kubeConfig, settings: kubernetesSettings(elsewhere), log }).create(
      performerFor(kubernetesSettings(elsewhere), "v1"),
    );

    const heard: string[] = [];
    store.subscribe((p, event) => {
      if (event !== "resync") heard.push(`${event} ${p.metadata.name}`);
    });
    store.watch();
    const mine = performerFor(k8s, "v1");
    const name = mine.metadata.name!;
    await store.create(mine);
    await assert.rejects(store.create(mine), (error) => isConflict(error));

    const listed = await store.list();
    assert.deepEqual(
      listed.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
      [`${namespace}/${name}`],
    );
    await until("the watch shows the Performer", () => store.get(name) !== undefined);
    assert.equal(store.get(name)?.spec.version, "v1");
    assert.deepEqual(
      store.cached().map((p) => p.metadata.name),
      [name],
    );

    await store.delete(name);
    await assert.rejects(store.delete(name), (error) => isNotFound(error));
    await until("the watch shows the deletion", () => store.get(name) === undefined);
    assert.deepEqual(heard, [`add ${name}`, `delete ${name}`]);
  });
});
