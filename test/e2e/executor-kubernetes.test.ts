// The executor in kubernetes mode against the local control plane: it creates its Performers (admitted and
// defaulted by the operator's webhooks), waits for them to be Ready, routes tasks through service_pattern,
// deploys a new artifact blue-green and deletes its Performers on shutdown. No controller runs here, so the test
// writes each Performer's status as the controller would; service_pattern points at a sample performer on
// 127.0.0.1. Tasks are signed by the AVS's aggregator on a local EVM, and results checked as it checks them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LABEL_PERFORMER, type Performer } from "../../src/api/performer.ts";
import { kubectl, testCluster, useNamespace } from "../support/cluster.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient, grpcHealthStatus } from "../support/grpc-clients.ts";
import {
  type L1Chain,
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../support/grpc-executor-config.ts";
import {
  sha256,
  startExecutorProcess,
  startSamplePerformer,
  type TestProcess,
} from "../support/grpc-processes.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

const MANAGED = "app.kubernetes.io/managed-by=hourglass-executor";
const MISSING_DIGEST = `sha256:${"00".repeat(32)}`;

async function performers(namespace: string): Promise<Performer[]> {
  const got = await kubectl(["get", "performers", "-n", namespace, "-l", MANAGED, "-o", "json"]);
  assert.equal(got.code, 0, got.stderr);
  return (JSON.parse(got.stdout) as { items: Performer[] }).items;
}

/** For `eventually`: ends the wait with the executor's last words if it exits meanwhile. */
function exitOf(executor: TestProcess): () => string | undefined {
  return () => {
    if (executor.child.exitCode === null) return undefined;
    const last = executor.logs.slice(-5).map((l) => JSON.stringify(l));
    return `the executor exited (${executor.child.exitCode}):\n${last.join("\n")}\n${executor.stderr()}`;
  };
}

function condition(type: string, status: "True" | "False", reason: string, message: string) {
  const lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return { type, status, reason, message, lastTransitionTime };
}

/** Writes a Performer's status through the status subresource, as the controller does. */
async function writeStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
  const patch = JSON.stringify({ status });
  const patched = await kubectl([
    "patch",
    "performer",
    name,
    "-n",
    namespace,
    "--subresource=status",
    "--type=merge",
    "-p",
    patch,
  ]);
  assert.equal(patched.code, 0, patched.stderr);
}

/** The status the controller writes for a Performer whose Pod is Ready. */
function markReady(namespace: string, name: string): Promise<void> {
  return writeStatus(namespace, name, {
    phase: "Running",
    podName: `performer-${name}`,
    serviceName: `performer-${name}`,
    readyReplicas: 1,
    conditions: [condition("Ready", "True", "PodReady", "the performer Pod is ready")],
  });
}

function kubernetesModeConfig(
  l1Chain: L1Chain,
  namespace: string,
  operator: { address: string; keyFile: string },
  avs: string,
  performerPort: number,
  cleanupOnShutdown: boolean,
) {
  return {
    aggregator_endpoint: "127.0.0.1:9010",
    deployment_mode: "kubernetes",
    operator: { address: operator.address, ecdsa_key_file: operator.keyFile },
    l1_chain: l1Chain,
    performer_config: {
      service_pattern: "127.0.0.1:{port}",
      default_port: performerPort,
      connection_timeout: "10s",
      startup_timeout: "2m",
      retry_attempts: 3,
    },
    kubernetes: {
      namespace,
      operator_namespace: "hourglass-system",
      performer_crd_group: "hourglass.eigenlayer.io",
      performer_crd_version: "v1alpha1",
      connection_timeout: "30s",
      kubeconfig: testCluster().kubeconfigPath,
      cleanup_on_shutdown: cleanupOnShutdown,
      cleanup_timeout: "30s",
    },
    avs_config: {
      supported_avs: [
        {
          address: avs,
          name: "sample-avs",
          performer_image: "hourglass-example-performer",
          performer_version: "dev",
          deployment_mode: "kubernetes",
        },
      ],
    },
  };
}

let chain: TestChain;
before(async () => {
  chain = await startTestChain();
});
after(() => chain?.stop());

/** Sends a task of `avs` for `operator` with `payload`, signed by the aggregator; the result must be the sample's
 * output, signed as the aggregator checks it. */
async function answered(
  client: ReturnType<typeof executorClient>,
  avs: string,
  operator: string,
  payload: string,
): Promise<void> {
  const task = await chain.task(avs, operator, Buffer.from(payload));
  const result = await client.submitTask(task);
  assert.deepEqual(result.output, sha256(Buffer.from(payload)));
  await chain.checkResult(task, result, operator);
}

describe("hourglass-executor run (kubernetes mode)", () => {
  it("manages its Performers: create, Ready, route, blue-green deploy, cleanup", {
    timeout: 180_000,
  }, async (t) => {
    const namespace = await useNamespace(t, "executor");
    const dir = await testDir("executor-k8s");
    const operator = await testOperator(dir);
    const avs = testAvsAddress();
    await chain.addAvs(avs, operator.address);
    const performer = await startSamplePerformer();
    t.after(() => performer.stop());

    const config = kubernetesModeConfig(chain.l1Chain, namespace, operator, avs, performer.grpcPort, true);
    const executor = await startExecutorProcess(await writeExecutorConfig(dir, config));
    t.after(() => executor.stop());
    const client = executorClient(executor.grpcAddress);
    t.after(() => client.close());

    // 1. The executor creates the AVS's Performer; the webhook has defaulted it.
    const blue = await eventually("the executor's Performer", async () => (await performers(namespace))[0], {
      abortIf: exitOf(executor),
    });
    const blueName = blue.metadata.name!;
    assert.equal(blue.spec.avsAddress, avs);
    assert.equal(blue.spec.image, "hourglass-example-performer");
    assert.equal(blue.spec.version, "dev");
    assert.equal(blue.spec.config?.grpcPort, performer.grpcPort);
    assert.equal(blue.spec.deploymentMode, "kubernetes", "defaulted by the mutating webhook");
    assert.equal(blue.metadata.labels?.[LABEL_PERFORMER], blueName, "labelled by the mutating webhook");

    // 2. Not ready until its status says so; then tasks flow.
    assert.equal((await fetch(`http://127.0.0.1:${executor.ports.health}/ready`)).status, 503);
    assert.equal(
      await grpcHealthStatus(executor.grpcAddress),
      "NOT_SERVING",
      "gRPC health agrees with /ready",
    );
    await markReady(namespace, blueName);
    await executor.waitForLog((l) => l.msg === "performers ready");
    assert.equal(await grpcHealthStatus(executor.grpcAddress), "SERVING");
    await answered(client, avs, operator.address, "through the service pattern");
    const listed = await client.listPerformers(avs);
    assert.deepEqual(
      listed.performers.map((p) => [
        p.performer_id,
        p.status,
        p.resource_healthy,
        p.container_id,
        p.artifact_registry,
        p.artifact_digest,
      ]),
      [[blueName, "Running", true, `performer-${blueName}`, "hourglass-example-performer", "dev"]],
    );

    // 3. Blue-green: the new Performer must be Ready before traffic moves; the old one goes after.
    const digest = `sha256:${"ab".repeat(32)}`;
    const deployment = client.deployArtifact({
      avs_address: avs,
      registry_url: "registry.example/avs/performer",
      digest,
    });
    const green = await eventually(
      "the green Performer",
      async () => (await performers(namespace)).find((p) => p.metadata.name !== blueName),
      { abortIf: exitOf(executor) },
    );
    const greenName = green.metadata.name!;
    assert.equal(green.spec.image, `registry.example/avs/performer@${digest}`);
    assert.equal(
      (await client.listPerformers(avs)).performers.length,
      1,
      "traffic stays on blue until green is Ready",
    );
    await markReady(namespace, greenName);
    const deployed = await deployment;
    assert.equal(deployed.success, true, deployed.message);
    assert.equal(deployed.deployment_id, greenName);
    assert.deepEqual(
      (await performers(namespace)).map((p) => p.metadata.name),
      [greenName],
      "blue is deleted once green serves",
    );
    const after = await client.listPerformers(avs);
    assert.deepEqual(
      after.performers.map((p) => [p.performer_id, p.artifact_registry, p.artifact_digest]),
      [[greenName, "registry.example/avs/performer", digest]],
    );
    await answered(client, avs, operator.address, "after the switch");

    // 3b. Deleted from outside: recreated with the artifact it ran (the deployed one, not the config's).
    const deleted = await kubectl(["delete", "performer", greenName, "-n", namespace]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const recreated = await eventually(
      "the recreated Performer",
      async () => (await performers(namespace)).find((p) => p.metadata.uid !== green.metadata.uid),
      { abortIf: exitOf(executor) },
    );
    assert.equal(recreated.spec.image, `registry.example/avs/performer@${digest}`);
    await markReady(namespace, recreated.metadata.name!);
    await eventually(
      "tasks through the recreated Performer",
      async () => (await client.listPerformers(avs)).performers.length === 1 || undefined,
      { abortIf: exitOf(executor) },
    );
    await answered(client, avs, operator.address, "after the re-creation");

    // 4. SIGTERM with cleanup_on_shutdown: the executor deletes its Performers and exits 0.
    assert.equal(await executor.stop(), 0);
    assert.deepEqual(await performers(namespace), []);
  });

  it("adopts its Performer after a restart, and keeps it when a deployment fails", {
    timeout: 180_000,
  }, async (t) => {
    const namespace = await useNamespace(t, "executor");
    const dir = await testDir("executor-k8s-adopt");
    const operator = await testOperator(dir);
    const avs = testAvsAddress();
    await chain.addAvs(avs, operator.address);
    const performer = await startSamplePerformer();
    t.after(() => performer.stop());
    const configPath = await writeExecutorConfig(
      dir,
      kubernetesModeConfig(chain.l1Chain, namespace, operator, avs, performer.grpcPort, false),
    );

    const first = await startExecutorProcess(configPath);
    t.after(() => first.stop());
    const created = await eventually(
      "the executor's Performer",
      async () => (await performers(namespace))[0],
      {
        abortIf: exitOf(first),
      },
    );
    await markReady(namespace, created.metadata.name!);
    await first.waitForLog((l) => l.msg === "performers ready");
    // Without cleanup_on_shutdown the Performer outlives the executor.
    assert.equal(await first.stop(), 0);
    assert.deepEqual(
      (await performers(namespace)).map((p) => p.metadata.uid),
      [created.metadata.uid],
    );

    const second = await startExecutorProcess(configPath);
    t.after(() => second.stop());
    await second.waitForLog((l) => l.msg === "performers ready");
    assert.deepEqual(
      (await performers(namespace)).map((p) => p.metadata.uid),
      [created.metadata.uid],
      "adopted, not recreated",
    );
    const client = executorClient(second.grpcAddress);
    t.after(() => client.close());
    await answered(client, avs, operator.address, "adopted");

    // The new side fails (its image cannot be pulled): traffic stays where it was and the new side is removed.
    const deployment = client.deployArtifact({
      avs_address: avs,
      registry_url: "registry.example/avs/missing",
      digest: MISSING_DIGEST,
    });
    const broken = await eventually(
      "the Performer of the failing deployment",
      async () => (await performers(namespace)).find((p) => p.metadata.uid !== created.metadata.uid),
      { abortIf: exitOf(second) },
    );
    await writeStatus(namespace, broken.metadata.name!, {
      phase: "Failed",
      conditions: [
        condition(
          "ImageAvailable",
          "False",
          "ImagePullBackOff",
          `Back-off pulling image "registry.example/avs/missing@${MISSING_DIGEST}"`,
        ),
        condition("Ready", "False", "ImagePullBackOff", "the performer image cannot be pulled"),
      ],
    });
    const failed = await deployment;
    assert.equal(failed.success, false);
    assert.match(failed.message, /ImagePullBackOff/);
    assert.match(failed.message, new RegExp(`stays on ${created.metadata.name}`));
    await eventually(
      "the failed deployment's Performer to be removed",
      async () => ((await performers(namespace)).length === 1 ? true : undefined),
      { abortIf: exitOf(second) },
    );
    assert.deepEqual(
      (await performers(namespace)).map((p) => p.metadata.uid),
      [created.metadata.uid],
    );
    await answered(client, avs, operator.address, "still served");
  });
});
