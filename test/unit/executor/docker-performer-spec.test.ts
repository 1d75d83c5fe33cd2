import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type Docker from "dockerode";
import type { ContainerInspectInfo } from "dockerode";
import { containerInfo, demuxLogs, dockerEngine } from "../../../src/executor/docker-engine.ts";
import {
  configuredEnv,
  containerLimits,
  deployedEnv,
  imageReference,
  performerContainerName,
  performerContainerOptions,
  performerEndpoint,
} from "../../../src/executor/docker-performer-spec.ts";

const AVS = "0xAbCdEf0000000000000000000000000000000001";

describe("docker-mode performer containers", () => {
  it("are named as Hourglass names them: avs-performer-<6 hex of sha256(avs)>-<unix seconds>", () => {
    const hash = createHash("sha256").update(AVS).digest("hex").slice(0, 6);
    assert.equal(performerContainerName(AVS, 1_700_000_000_999), `avs-performer-${hash}-1700000000`);
    assert.equal(performerContainerName(AVS, 1_700_000_000_000, 2), `avs-performer-${hash}-1700000000-2`);
  });

  it("run image:tag, or image@digest as DeployArtifact gives it", () => {
    assert.equal(imageReference({ image: "example/p", version: "v1" }), "example/p:v1");
    assert.equal(imageReference({ image: "example/p@sha256:ab" }), "example/p@sha256:ab");
  });

  it("take the AVS's cpu and memory limits as --cpus and --memory do", () => {
    assert.deepEqual(
      containerLimits({ address: AVS, resources: { limits: { cpu: "500m", memory: "1Gi" } } }),
      {
        Memory: 1024 ** 3,
        NanoCpus: 500_000_000,
      },
    );
    assert.deepEqual(containerLimits({ address: AVS, resources: { limits: { cpu: "2", memory: "128M" } } }), {
      Memory: 128_000_000,
      NanoCpus: 2_000_000_000,
    });
    assert.deepEqual(containerLimits({ address: AVS }), {});
  });

  it("publish the gRPC port on loopback only, on the performer network, labelled with the AVS, with a stop grace", () => {
    const options = performerContainerOptions({
      avs: { address: AVS },
      artifact: { image: "example/p", version: "v1" },
      name: "avs-performer-x-1",
      performerId: "performer-x",
      network: "hourglass-network",
      grpcPort: 9090,
    });
    assert.deepEqual(options.HostConfig?.PortBindings, {
      "9090/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
    });
    assert.equal(options.HostConfig?.NetworkMode, "hourglass-network");
    assert.deepEqual(options.NetworkingConfig, { EndpointsConfig: { "hourglass-network": {} } });
    assert.equal(options.Labels?.["hourglass.eigenlayer.io/avs"], AVS.toLowerCase());
    assert.equal(options.Labels?.["hourglass.eigenlayer.io/performer"], "performer-x");
    assert.ok((options.StopTimeout ?? 0) > 0, "a stop through the API would otherwise SIGKILL at once");
    assert.deepEqual(options.Env, ["PERFORMER_GRPC_PORT=9090"]);
  });

  it("stay on the engine's default network when no performerNetworkName is set", () => {
    const options = performerContainerOptions({
      avs: { address: AVS },
      artifact: { image: "example/p", version: "v1" },
      name: "avs-performer-x-1",
      performerId: "performer-x",
      grpcPort: 9090,
    });
    assert.equal(options.HostConfig?.NetworkMode, undefined);
    assert.equal(options.NetworkingConfig, undefined);
  });

  it("are dialled at their address on the performer network, else at the port published on loopback", () => {
    const info = {
      hostPorts: { "9090/tcp": 41234 },
      addresses: { "hourglass-network": "198.18.17.5", podman: "198.18.16.9" },
    };
    assert.equal(performerEndpoint(info, "hourglass-network", 9090), "198.18.17.5:9090");
    assert.equal(performerEndpoint(info, undefined, 9090), "127.0.0.1:41234");
    assert.throws(() => performerEndpoint(info, "other", 9090), /no address on network other/);
    assert.throws(() => performerEndpoint(info, undefined, 8080), /no host port for 8080\/tcp/);
  });

  it("read ports and addresses from docker inspect", () => {
    const inspect = {
      State: { Running: true, Status: "running", ExitCode: 0 },
      NetworkSettings: {
        Ports: { "9090/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }], "8080/tcp": null },
        Networks: { "hourglass-network": { IPAddress: "198.18.17.5" }, none: { IPAddress: "" } },
      },
    } as unknown as ContainerInspectInfo;
    assert.deepEqual(containerInfo(inspect), {
      running: true,
      status: "running",
      exitCode: 0,
      hostPorts: { "9090/tcp": 41234 },
      addresses: { "hourglass-network": "198.18.17.5" },
    });
  });

  it("take avsPerformers[].envs as Hourglass does: value, or valueFromEnv read from the executor's environment", () => {
    const envs = [
      { name: "A", value: "1" },
      { name: "B", valueFromEnv: "EXECUTOR_SECRET" },
      { name: "C", valueFromEnv: "UNSET" },
      { name: "D", secretKeyRef: { name: "s", key: "k" } },
    ];
    assert.deepEqual(configuredEnv(envs, { EXECUTOR_SECRET: "s" }), ["A=1", "B=s", "C=", "D="]);
    assert.deepEqual(configuredEnv(undefined, {}), []);
  });

  it("take DeployArtifact's env: a value, or the executor's own variable for value_from_env", () => {
    const env = [
      { name: "A", value: "1", value_from_env: "", kubernetes_env: null },
      { name: "B", value: "", value_from_env: "EXECUTOR_SECRET", kubernetes_env: null },
    ];
    assert.deepEqual(deployedEnv(env, { EXECUTOR_SECRET: "s" }), ["A=1", "B=s"]);
  });

  it("read a container's multiplexed log stream back as text", () => {
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    assert.equal(demuxLogs(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")])), "out\nerr\n");
    assert.equal(demuxLogs(Buffer.from("plain tty output\n")), "plain tty output\n");
  });

  it("hand the caller's signal to the Engine API request, and no abortSignal option without one", async () => {
    const options: Record<string, unknown>[] = [];
    const engine = dockerEngine({
      createContainer: async (given: Record<string, unknown>) => {
        options.push(given);
        return { id: "c1" };
      },
    } as unknown as Docker);
    const { signal } = new AbortController();
    assert.equal(await engine.createContainer({ name: "p", Image: "img" }, signal), "c1");
    await engine.createContainer({ name: "p", Image: "img" });
    assert.equal(options[0]?.abortSignal, signal);
    assert.deepEqual(options[1], { name: "p", Image: "img" });
  });
});
