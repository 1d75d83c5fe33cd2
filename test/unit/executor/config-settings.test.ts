import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { type ExecutorConfig, parseExecutorConfig } from "../../../src/api/executor-config.ts";
import { executorSettings, networkTimeoutMs } from "../../../src/executor/config-settings.ts";

const operator = { address: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", ecdsa_key_file: "/keys/operator" };
const l1_chain = { rpc_url: "http://127.0.0.1:8545", chain_id: 31337 };
const AVS = "0x1111111111111111111111111111111111111111";

/** A config as `run` receives it: parsed, validated and defaulted by the config module. */
function config(document: Record<string, unknown>): ExecutorConfig {
  const parsed = parseExecutorConfig(stringify({ operator, l1_chain, ...document }));
  assert.ok(parsed.config, JSON.stringify(parsed.problems));
  return parsed.config;
}

const docker = { avs_config: { supported_avs: [{ address: AVS, name: "one", endpoint: "perf:9090" }] } };
const kubernetes = {
  deployment_mode: "kubernetes",
  kubernetes: {
    namespace: "avs",
    operator_namespace: "hourglass-system",
    performer_crd_group: "hourglass.eigenlayer.io",
    performer_crd_version: "v1alpha1",
    connection_timeout: "30s",
    in_cluster: true,
    cleanup_timeout: "1m",
    cleanup_on_shutdown: false,
  },
  default_resources: { requests: { cpu: "250m" } },
  avs_config: {
    supported_avs: [
      { address: AVS, performer_image: "img", default_resources: { limits: { memory: "1Gi" } } },
      { address: "0x2222222222222222222222222222222222222222", performer_image: "img" },
    ],
  },
};

describe("executorSettings", () => {
  it("applies the documented defaults", () => {
    const s = executorSettings(config(docker), {});
    assert.equal(s.deploymentMode, "docker");
    // No management port: ExecutorManagementService is served on the gRPC server.
    assert.deepEqual(s.ports, { grpc: 9000, health: 8090, metrics: 8080, profiling: 6060 });
    assert.equal(s.host, "0.0.0.0");
    assert.equal(s.performer.servicePattern, "performer-{name}.{namespace}.svc.cluster.local:{port}");
    assert.equal(s.performer.defaultPort, 9090);
    assert.equal(s.performer.taskTimeoutMs, 30_000);
    assert.equal(s.performer.startupTimeoutMs, 300_000);
    assert.equal(s.performer.retryAttempts, 3);
    assert.equal(s.performer.maxInFlight, 64);
    assert.equal(s.profiling, false);
    assert.equal(s.kubernetes, undefined);
    const key = { path: "operator.ecdsa_key_file", privateKeyFile: "/keys/operator" };
    assert.deepEqual(s.operator, {
      address: operator.address,
      operatorPrivateKey: key,
      signingKeys: { ecdsa: key },
    });
    assert.deepEqual(s.chain.l1Chain, { rpcUrl: l1_chain.rpc_url, chainId: 31337 });
    assert.equal(s.storage, undefined);
    assert.deepEqual(s.authentication, { enabled: false });
    assert.deepEqual(
      s.avs.map((a) => [a.address, a.name, a.endpoint]),
      [[AVS, "one", "perf:9090"]],
    );
  });

  it("lets NETWORK_TIMEOUT override connection_timeout, and flags override ports", () => {
    const c = config({ ...docker, grpc_port: 9100, performer_config: { connection_timeout: "5s" } });
    assert.equal(executorSettings(c, {}).performer.taskTimeoutMs, 5_000);
    assert.equal(executorSettings(c, {}).ports.grpc, 9100);
    const s = executorSettings(
      c,
      { NETWORK_TIMEOUT: "2s", ENABLE_PROFILING: "true" },
      { grpcPort: 0, host: "127.0.0.1", maxInFlight: 3 },
    );
    assert.equal(s.performer.taskTimeoutMs, 2_000);
    assert.equal(s.ports.grpc, 0);
    assert.equal(
      s.ports.management,
      undefined,
      "management stays on the gRPC server when the config does not move it",
    );
    assert.equal(s.host, "127.0.0.1");
    assert.equal(s.performer.maxInFlight, 3);
    assert.equal(s.profiling, true);
  });

  it("serves management on its own port when the config or a flag gives one", () => {
    const c = config({ ...docker, management_server_grpc_port: 9101 });
    assert.equal(executorSettings(c, {}, { grpcPort: 0 }).ports.management, 9101);
    assert.equal(executorSettings(c, {}, { managementPort: 0 }).ports.management, 0);
  });

  it("reads the kubernetes section, deriving the plural from the kind", () => {
    const s = executorSettings(config(kubernetes), {});
    assert.equal(s.deploymentMode, "kubernetes");
    assert.deepEqual(s.kubernetes, {
      namespace: "avs",
      crdGroup: "hourglass.eigenlayer.io",
      crdVersion: "v1alpha1",
      crdPlural: "performers",
      serviceAccount: undefined,
      cleanupOnShutdown: false,
      cleanupTimeoutMs: 60_000,
      connectionTimeoutMs: 30_000,
      kubeconfig: undefined,
    });
  });

  it("gives each AVS its own default_resources, else the top level's", () => {
    const [own, inherited] = executorSettings(config(kubernetes), {}).avs;
    assert.deepEqual(own?.resources, { limits: { memory: "1Gi" } });
    assert.deepEqual(inherited?.resources, { requests: { cpu: "250m" } });
  });
});

describe("networkTimeoutMs", () => {
  it("reads Go durations and bare seconds", () => {
    assert.equal(networkTimeoutMs("45s"), 45_000);
    assert.equal(networkTimeoutMs("1.5"), 1_500);
    assert.equal(networkTimeoutMs(undefined), undefined);
    assert.equal(networkTimeoutMs(""), undefined);
  });

  it("refuses what is not a positive duration, naming the variable", () => {
    assert.throws(() => networkTimeoutMs("soon"), /NETWORK_TIMEOUT: "soon"/);
    assert.throws(() => networkTimeoutMs("0s"), /positive/);
  });
});
