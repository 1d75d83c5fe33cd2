// The executor itself in a container, as the troubleshooting guide runs it (`docker network create
// hourglass-network`; `docker run --network hourglass-network -v $(pwd)/config.yaml:/etc/hourglass/config.yaml
// --user 1000:1000 hourglass/executor`), with a Hourglass camelCase docker-mode config and the engine's socket:
// it starts its performer's container beside it on hourglass-network, dials it at its address there, checks the
// tasks its port gets, and removes the performer when stopped. A missing or unreadable config is named in `docker logs`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, chown, mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { addressOfPrivateKey } from "../../src/executor/operator-signer.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient } from "../support/grpc-clients.ts";
import { testAvsAddress, testDir } from "../support/grpc-executor-config.ts";
import {
  importExecutorImage,
  importPerformerImage,
  type PerformerImage,
} from "../support/performer-image.ts";
import { type PodmanEngine, startPodmanEngine } from "../support/podman-engine.ts";

const run = promisify(execFile);
const NETWORK = "hourglass-network";
const SOCKET_IN_CONTAINER = "/var/run/docker.sock";

describe("hourglass-executor in a container, with its performers as containers beside it", () => {
  const avs = testAvsAddress();
  const key = randomBytes(32);
  const operator = addressOfPrivateKey(key);
  let dir: string;
  let engine: PodmanEngine;
  let executorImage: PerformerImage;
  let performer: PerformerImage;

  /** `docker run -d` of the executor image as the guide writes it, plus the engine's socket. */
  const runExecutor = async (name: string, configMount: string[]) => {
    const socket = engine.dockerHost.replace("unix://", "");
    // podman makes its socket 0600; a Docker engine's is 0660 with a group for its users: the same here.
    await chmod(socket, 0o660);
    const { gid } = await stat(socket);
    await engine.podman([
      "run",
      "-d",
      "--name",
      name,
      "--network",
      NETWORK,
      "--user",
      "1000:1000",
      // The socket's group is how a non-root executor may use it.
      "--group-add",
      String(gid),
      ...configMount,
      "-v",
      `${socket}:${SOCKET_IN_CONTAINER}`,
      "-e",
      `DOCKER_HOST=unix://${SOCKET_IN_CONTAINER}`,
      "-p",
      "127.0.0.1::9090",
      `${executorImage.repository}:${executorImage.tag}`,
    ]);
  };
  /** `docker logs`: the container's stdout and stderr. */
  const logs = async (name: string) => {
    const { stdout, stderr } = await run("podman", ["logs", name], { env: engine.env });
    return `${stdout}${stderr}`;
  };
  const inspect = async (name: string) => JSON.parse(await engine.podman(["inspect", name]))[0];
  const performerContainers = async () =>
    (JSON.parse((await engine.podman(["ps", "--all", "--format", "json"])) || "[]") as { Names: string[] }[])
      .map((c) => c.Names[0]!)
      .filter((n) => n.startsWith("avs-performer-"));

  before(async () => {
    dir = await testDir("executor-in-container");
    engine = await startPodmanEngine(join(dir, "engine"));
    performer = await importPerformerImage(engine, "blue");
    executorImage = await importExecutorImage(engine);
    await engine.podman(["network", "create", NETWORK]);
  });

  after(async () => {
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs as 1000:1000, starts the performer container on hourglass-network and checks the tasks it gets", async () => {
    const config = join(dir, "config.yaml");
    await writeFile(
      config,
      stringify({
        grpcPort: 9090,
        performerNetworkName: NETWORK,
        operator: {
          address: operator,
          operatorPrivateKey: { privateKey: key.toString("hex") },
          signingKeys: { ecdsa: { privateKey: key.toString("hex") } },
        },
        l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 },
        avsPerformers: [
          {
            avsAddress: avs,
            processType: "server",
            image: { repository: performer.repository, tag: performer.tag },
          },
        ],
      }),
      { mode: 0o600 },
    );
    await chown(config, 1000, 1000);
    const started = Date.now();
    await runExecutor("hourglass-executor", ["-v", `${config}:/etc/hourglass/config.yaml:ro`]);
    const text = await eventually(
      "the executor's performers ready",
      async () => {
        const out = await logs("hourglass-executor");
        if (!(await inspect("hourglass-executor")).State.Running) assert.fail(`the executor exited:\n${out}`);
        if (Date.now() - started > 60_000) assert.fail(`no performers ready in 60 s:\n${out.slice(-3000)}`);
        return out.includes('"msg":"performers ready"') ? out : undefined;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 250,
        abortIf: () => undefined,
      },
    );
    const ready = (Date.now() - started) / 1000;

    const executor = await inspect("hourglass-executor");
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${executor.State.Pid}/status`, "utf8"));
    assert.equal(uid?.[1], "1000", "the executor's process runs as uid 1000");
    const [name, ...others] = await performerContainers();
    assert.equal(others.length, 0);
    const performerInspect = await inspect(name!);
    const address = performerInspect.NetworkSettings.Networks[NETWORK].IPAddress;
    const serving = text
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "performer container serving");
    assert.equal(serving?.endpoint, `${address}:9090`, "dialled at its address on hourglass-network");

    const port = (await engine.podman(["port", "hourglass-executor", "9090/tcp"])).trim().split(":").pop();
    const client = executorClient(`127.0.0.1:${port}`);
    try {
      // The aggregator's port answers from inside the container, and a task passes the executor's checks first: an
      // unsigned one is refused naming the field. Signed tasks go through docker mode in executor-docker-engine.test.ts;
      // here the container would need an L1 chain it can reach.
      const refused = await client
        .submitTask({
          task_id: `0x${randomBytes(32).toString("hex")}`,
          aggregator_address: "",
          avs_address: avs,
          payload: Buffer.from("containerised task"),
          signature: Buffer.alloc(0),
        })
        .then(
          () => assert.fail("an unsigned task was answered"),
          (error: { code?: number; details?: string }) => error,
        );
      assert.equal(refused.code, 3, String(refused.details));
      assert.match(String(refused.details), /^aggregator_address: /);
      process.stdout.write(`# executor container start to performers ready ${ready.toFixed(1)} s\n`);
    } finally {
      client.close();
    }

    // docker stop: SIGTERM, and the executor removes its performer container; the network it found stays.
    await engine.podman(["stop", "--time", "30", "hourglass-executor"]);
    assert.equal((await inspect("hourglass-executor")).State.ExitCode, 0, await logs("hourglass-executor"));
    assert.deepEqual(await performerContainers(), []);
    assert.match(
      await engine.podman(["network", "ls", "--format", "{{.Name}}"]),
      new RegExp(`^${NETWORK}$`, "m"),
    );
  });

  it('says "Config file not found" in its logs when no config is mounted', async () => {
    await runExecutor("executor-no-config", []);
    const exit = await eventually("the executor to exit", async () => {
      const state = (await inspect("executor-no-config")).State;
      return state.Running ? undefined : (state.ExitCode as number);
    });
    assert.equal(exit, 1);
    assert.match(await logs("executor-no-config"), /Config file not found: \/etc\/hourglass\/config\.yaml/);
  });

  it("says it cannot read a config that user 1000 may not read", async () => {
    const sub = join(dir, "unreadable");
    await mkdir(sub);
    const config = join(sub, "config.yaml");
    await writeFile(config, "grpcPort: 9090\n", { mode: 0o600 });
    await runExecutor("executor-unreadable", ["-v", `${config}:/etc/hourglass/config.yaml:ro`]);
    const exit = await eventually("the executor to exit", async () => {
      const state = (await inspect("executor-unreadable")).State;
      return state.Running ? undefined : (state.ExitCode as number);
    });
    assert.equal(exit, 1);
    assert.match(await logs("executor-unreadable"), /cannot read \/etc\/hourglass\/config\.yaml \(EACCES\)/);
  });
});
