// docker mode with the executor running the performer's container itself, through a real Docker Engine API
// (podman's, on a private socket): the container starts from the AVS's image on the performer network, tasks go
// through it, DeployArtifact switches to another image blue-green without losing a task, a killed container is
// replaced, an image that is not there is named in the error, and shutdown leaves no container and no network.
// Tasks are signed by the AVS's aggregator on a local EVM. It runs once with Hourglass's camelCase config and once
// with the guide's snake_case one.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually } from "../support/eventually.ts";
import { executorClient, type TestExecutorClient } from "../support/grpc-clients.ts";
import {
  dockerModeConfig,
  type TestOperator,
  testAvsAddress,
  testDir,
  testOperator,
  writeExecutorConfig,
} from "../support/grpc-executor-config.ts";
import { type ExecutorProcess, sha256, startExecutorProcess } from "../support/grpc-processes.ts";
import { importPerformerImage, type PerformerImage } from "../support/performer-image.ts";
import { type PodmanEngine, startPodmanEngine } from "../support/podman-engine.ts";
import { startTestChain, type TestChain } from "../support/test-chain.ts";

/** performer_network_name: the executor creates it, dials each container at its address there, removes it. */
const PERFORMER_NETWORK = "hourglass-network";

interface EngineContainer {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Labels: Record<string, string>;
}

type Dialect = "camelCase" | "snake_case";

/** The executor's config in Hourglass's camelCase keys or in the guide's snake_case ones, for one AVS's image. */
async function managedConfig(
  dialect: Dialect,
  chain: TestChain,
  operator: TestOperator,
  avs: string,
  image: { repository: string; tag: string },
): Promise<Record<string, unknown>> {
  if (dialect === "camelCase") {
    const privateKey = (await readFile(operator.keyFile, "utf8")).trim().replace(/^0x/, "");
    return {
      performerNetworkName: PERFORMER_NETWORK,
      operator: {
        address: operator.address,
        operatorPrivateKey: { privateKey },
        signingKeys: { ecdsa: { privateKey } },
      },
      l1Chain: { rpcUrl: chain.l1Chain.rpc_url, chainId: chain.l1Chain.chain_id },
      avsPerformers: [{ avsAddress: avs, processType: "server", image }],
    };
  }
  const config = dockerModeConfig(chain.l1Chain, operator, [], { startup_timeout: "90s" });
  config.performer_network_name = PERFORMER_NETWORK;
  (config.avs_config as { supported_avs: unknown[] }).supported_avs = [
    {
      address: avs,
      name: "avs-docker",
      performer_image: image.repository,
      performer_version: image.tag,
      deployment_mode: "docker",
      default_resources: { limits: { cpu: "1", memory: "256Mi" } },
    },
  ];
  return config;
}

for (const dialect of ["camelCase", "snake_case"] as const) {
  describe(`hourglass-executor run (docker mode, containers through the Docker Engine API, ${dialect} config)`, () => {
    const avs = testAvsAddress();
    let dir: string;
    let chain: TestChain;
    let engine: PodmanEngine;
    let blue: PerformerImage;
    let green: PerformerImage;
    let operator: TestOperator;
    let executor: ExecutorProcess | undefined;
    let client: TestExecutorClient;

    const containers = async (): Promise<EngineContainer[]> =>
      JSON.parse((await engine.podman(["ps", "--all", "--format", "json"])) || "[]");
    /** A task signed by the AVS's aggregator; its result must be the sample's output, signed as the aggregator
     * checks it. */
    const submit = async (i: number) => {
      const payload = Buffer.from(`docker task ${i}`);
      const task = await chain.task(avs, operator.address, payload);
      const result = await client.submitTask(task);
      assert.deepEqual(result.output, sha256(payload));
      await chain.checkResult(task, result, operator.address);
      return result;
    };

    before(async () => {
      dir = await testDir("executor-docker-engine");
      engine = await startPodmanEngine(join(dir, "engine"));
      blue = await importPerformerImage(engine, "blue");
      green = await importPerformerImage(engine, "green");
      operator = await testOperator(dir);
      chain = await startTestChain();
      await chain.addAvs(avs, operator.address);
      executor = await startExecutorProcess(
        await writeExecutorConfig(dir, await managedConfig(dialect, chain, operator, avs, blue)),
        {
          env: { DOCKER_HOST: engine.dockerHost },
        },
      );
      await executor.waitForLog((l) => l.msg === "performers ready", 120_000);
      client = executorClient(executor.grpcAddress);
    });

    after(async () => {
      client?.close();
      await executor?.stop();
      await engine?.stop();
      await chain?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it("starts the AVS's performer container from its image, named, labelled and limited, on the performer network", async () => {
      const [container, ...others] = await containers();
      assert.equal(others.length, 0);
      assert.equal(container!.State, "running");
      assert.equal(container!.Image, `${blue.repository}:${blue.tag}`);
      const hash = createHash("sha256").update(avs).digest("hex").slice(0, 6);
      assert.match(container!.Names[0]!, new RegExp(`^avs-performer-${hash}-\\d+`));
      assert.equal(container!.Labels["hourglass.eigenlayer.io/avs"], avs.toLowerCase());
      assert.equal(container!.Labels["app.kubernetes.io/managed-by"], "hourglass-executor");
      const [inspect] = JSON.parse(await engine.podman(["inspect", container!.Id]));
      // Only the guide's keys set limits: Hourglass's avsPerformers have none, and the engine's default is none.
      assert.equal(inspect.HostConfig.Memory, dialect === "snake_case" ? 256 * 1024 * 1024 : 0);
      assert.equal(inspect.HostConfig.NanoCpus, dialect === "snake_case" ? 1_000_000_000 : 0);
      assert.deepEqual(Object.keys(inspect.NetworkSettings.Networks), [PERFORMER_NETWORK]);
      const address = inspect.NetworkSettings.Networks[PERFORMER_NETWORK].IPAddress;
      assert.match(address, /^198\.18\./);
      const serving = executor!.logs.find((l) => l.msg === "performer container serving");
      assert.equal(serving?.endpoint, `${address}:9090`, "dialled at its address on the performer network");
      const { performers } = await client.listPerformers(avs);
      assert.equal(performers.length, 1);
      assert.equal(performers[0]!.container_id, container!.Id);
    });

    it("routes tasks to the container and signs the performer's results", async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => submit(i)));
      assert.equal(results.length, 20);
    });

    it("DeployArtifact starts the new image, moves traffic once it serves, then removes the old container; no task is lost", async () => {
      const [old] = await containers();
      let sending = true;
      let sent = 0;
      const load = (async () => {
        const failures: string[] = [];
        while (sending) {
          const batch = Array.from({ length: 4 }, () => submit(1000 + sent++));
          for (const r of await Promise.allSettled(batch)) {
            if (r.status === "rejected") failures.push(String((r.reason as Error).message));
          }
        }
        return failures;
      })();
      const [, digest] = green.digest.split("@");
      const response = await client.deployArtifact({
        avs_address: avs,
        registry_url: green.repository,
        digest: digest!,
      });
      sending = false;
      assert.deepEqual(await load, []);
      assert.ok(sent > 0, "tasks were sent during the switch");
      assert.equal(response.success, true);
      const now = await containers();
      assert.equal(now.length, 1, JSON.stringify(now.map((c) => c.Names)));
      assert.notEqual(now[0]!.Id, old!.Id);
      const { performers } = await client.listPerformers(avs);
      assert.deepEqual(
        performers.map((p) => [p.artifact_registry, p.artifact_digest, p.container_id]),
        [[green.repository, digest, now[0]!.Id]],
      );
      await submit(5000);
    });

    it("replaces a container that is killed", async () => {
      const [victim] = await containers();
      await engine.podman(["kill", victim!.Id]);
      const replacement = await eventually(
        "a new performer container serving",
        async () => {
          const { performers } = await client.listPerformers(avs);
          const id = performers[0]?.container_id;
          return id && id !== victim!.Id ? id : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250 },
      );
      const now = await containers();
      assert.deepEqual(
        now.map((c) => c.Id),
        [replacement],
      );
      await submit(6000);
    });

    it("refuses to start with an image the engine does not have, naming the image", async () => {
      const absent = { repository: "localhost/hourglass/absent-performer", tag: "1" };
      const config = await managedConfig(dialect, chain, operator, testAvsAddress(), absent);
      const other = await startExecutorProcess(
        await writeExecutorConfig(await mkdir(join(dir, "absent")).then(() => join(dir, "absent")), config),
        { env: { DOCKER_HOST: engine.dockerHost, EXECUTOR_PERFORMER_NETWORK_NAME: "hourglass-absent" } },
      );
      assert.equal(await other.exited, 1);
      const fatal = other.logs.find((l) => l.level === 60 || l.level === "fatal");
      assert.ok(fatal, other.stderr());
      assert.match(
        String(fatal.msg),
        /image "localhost\/hourglass\/absent-performer:1" is not in the engine/,
      );
    });

    it("removes every container and the network it created on shutdown", async () => {
      await executor!.stop();
      executor = undefined;
      assert.deepEqual(await containers(), []);
      const networks = JSON.parse(await engine.podman(["network", "ls", "--format", "json"])) as {
        name: string;
      }[];
      assert.deepEqual(
        networks.map((n) => n.name).filter((n) => n !== "podman"),
        [],
      );
    });
  });
}
