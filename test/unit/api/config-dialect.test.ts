// Hourglass's camelCase dialect and the guide's snake_case one read into the same model, by the same rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { camelCase, snakeCase } from "../../../src/api/config-dialect.ts";
import { parseExecutorConfig } from "../../../src/api/executor-config.ts";
import { errorsOf, formatProblem, warningsOf } from "../../../src/api/problem.ts";

const fixtures = join(import.meta.dirname, "..", "..", "fixtures", "executor-config");
const parse = (name: string) => parseExecutorConfig(readFileSync(join(fixtures, name), "utf8"));

test("each camelCase key has its snake_case twin, and back", () => {
  const pairs = [
    ["grpcPort", "grpc_port"],
    ["managementServerGrpcPort", "management_server_grpc_port"],
    ["l1Chain", "l1_chain"],
    ["operatorPrivateKey", "operator_private_key"],
    ["kubeConfigPath", "kube_config_path"],
    ["numLevelZeroTablesStall", "num_level_zero_tables_stall"],
  ];
  for (const [camel, snake] of pairs) {
    assert.equal(snakeCase(camel!), snake);
    assert.equal(camelCase(snake!), camel);
  }
});

test("camelCase, kubernetes mode: every section lands in the model", () => {
  const { config, problems } = parse("camel-kubernetes.yaml");
  assert.deepEqual(problems.map(formatProblem), []);
  assert.ok(config);
  assert.equal(config.dialect, "camelCase");
  assert.equal(config.grpcPort, 9090);
  assert.equal(config.managementServerGrpcPort, 9091);
  assert.equal(config.deploymentMode, "kubernetes");
  assert.equal(config.performerNetworkName, "unused-in-kubernetes-mode");
  assert.deepEqual(config.operator.operatorPrivateKey, {
    path: "operator.operatorPrivateKey",
    privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    privateKeyFile: undefined,
    keystore: undefined,
    keystoreFile: undefined,
    password: undefined,
  });
  assert.equal(config.operator.signingKeys.ecdsa?.keystoreFile, "/etc/hourglass/operator/ecdsa.json");
  assert.equal(config.operator.signingKeys.ecdsa?.password, "not-a-secret");
  // The BLS key is handed on as given: decoding EIP-2335 is the BN254 signer's business.
  assert.deepEqual(config.operator.signingKeys.bls, {
    path: "operator.signingKeys.bls",
    keystore: undefined,
    keystoreFile: "/etc/hourglass/operator/bn254.json",
    password: "",
  });
  assert.deepEqual(config.l1Chain, { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 });
  assert.deepEqual(config.overrideContracts, {
    taskMailbox: {
      contract: '{"name":"TaskMailbox","address":"0x0000000000000000000000000000000000000002"}',
      chainIds: [31337],
    },
  });
  assert.equal(config.storage?.type, "badger");
  assert.equal(config.storage?.badger?.dir, "/var/lib/executor");
  assert.equal(config.storage?.badger?.valueLogFileSize, 1048576);
  assert.deepEqual(config.authentication, { enabled: true });
  assert.equal(config.kubernetes?.operatorNamespace, "hourglass-system");
  assert.equal(config.kubernetes?.connectionTimeoutMs, 15_000);
  assert.equal(config.kubernetes?.inCluster, true);
  const [avs] = config.avs;
  assert.equal(avs?.path, "avsPerformers[0]");
  assert.equal(avs?.address, "0x1234567890abcdef1234567890abcdef12345678");
  assert.deepEqual(avs?.image, { repository: "hourglass-example-performer", tag: "dev" });
  assert.equal(avs?.processType, "server");
  assert.deepEqual(avs?.envs, [
    { name: "GREETING", value: "hello", valueFromEnv: undefined },
    {
      name: "API_TOKEN",
      value: undefined,
      valueFromEnv: undefined,
      secretKeyRef: { name: "avs-secrets", key: "token" },
    },
  ]);
  assert.deepEqual(avs?.kubernetes, { serviceAccountName: "squares-performer", endpointOverride: undefined });
});

test("camelCase, docker mode: Hourglass's gRPC port when none is given", () => {
  const { config, problems } = parse("camel-docker.yaml");
  assert.deepEqual(problems, []);
  assert.equal(config?.dialect, "camelCase");
  assert.equal(config?.grpcPort, 9090);
  assert.equal(config?.deploymentMode, "docker");
  assert.equal(config?.avs[0]?.endpoint, "127.0.0.1:9090");
});

test("the same mistake gets the same message in both dialects, on the key as the file spells it", () => {
  const camel =
    parseExecutorConfig(`operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", operatorPrivateKey: { privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" }, signingKeys: { bls: { keystoreFile: /b } } }
l1Chain: { rpcUrl: "ftp://x", chainId: 1 }
grpcPort: 70000
kubernetes: { namespace: ns, operatorNamespace: op, crdGroup: g, crdVersion: v1, connectionTimeout: soon, inCluster: true }
avsPerformers:
  - { avsAddress: "0x1234567890abcdef1234567890abcdef12345678", deploymentMode: kubernetes, image: { repository: r } }
`);
  const snake =
    parseExecutorConfig(`operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", operator_private_key: { private_key: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" }, signing_keys: { bls: { keystore_file: /b } } }
l1_chain: { rpc_url: "ftp://x", chain_id: 1 }
grpc_port: 70000
kubernetes: { namespace: ns, operator_namespace: op, crd_group: g, crd_version: v1, connection_timeout: soon, in_cluster: true }
avs_performers:
  - { avs_address: "0x1234567890abcdef1234567890abcdef12345678", deployment_mode: kubernetes, image: { repository: r } }
`);
  const shown = (problems: typeof camel.problems) => errorsOf(problems).map(formatProblem);
  assert.deepEqual(shown(camel.problems), [
    'l1Chain.rpcUrl (line 2): must be a http:// or https:// or ws:// or wss:// URL (got a "ftp:" URL; the value is not shown, since such URLs may hold a key)',
    "grpcPort (line 3): must be an integer from 1 to 65535 (got 70000)",
    'kubernetes.connectionTimeout (line 4): must be a Go duration such as 30s, 5m or 1h30m (got "soon")',
    "avsPerformers[0].image.tag (line 6): is required",
  ]);
  assert.deepEqual(
    shown(snake.problems),
    shown(camel.problems).map((line) =>
      line
        .replace("l1Chain.rpcUrl", "l1_chain.rpc_url")
        .replace("grpcPort", "grpc_port")
        .replace("connectionTimeout", "connection_timeout")
        .replace("avsPerformers", "avs_performers"),
    ),
  );
});

test("a file mixing the dialects is an error naming the keys of each", () => {
  const { config, problems } = parse("mixed-dialects.yaml");
  assert.equal(config, undefined);
  assert.deepEqual(errorsOf(problems).map(formatProblem), [
    "operator.ecdsa_key_file (line 5): mixes the two config dialects: camelCase keys (grpcPort, l1Chain, l1Chain.rpcUrl, l1Chain.chainId) and snake_case keys (operator.ecdsa_key_file, avs_config, avs_config.supported_avs); write every key one way, e.g. grpcPort, l1Chain",
  ]);
});

test("one key spelt both ways is refused, naming both", () => {
  const { problems } = parseExecutorConfig("grpcPort: 9090\ngrpc_port: 9000\n");
  assert.ok(
    errorsOf(problems).some(
      (p) => formatProblem(p) === 'grpc_port (line 2): is "grpcPort" spelt another way; give it once',
    ),
    problems.map(formatProblem).join("\n"),
  );
});

test("the two AVS lists are one: giving both is refused", () => {
  const { problems } =
    parseExecutorConfig(`operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
l1_chain: { rpc_url: "http://127.0.0.1:8545", chain_id: 1 }
avs_performers: [{ avs_address: "0x1234567890abcdef1234567890abcdef12345678", endpoint: "a:1" }]
avs_config: { supported_avs: [{ address: "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd", endpoint: "b:1" }] }
`);
  assert.deepEqual(errorsOf(problems).map(formatProblem), [
    "avs_config.supported_avs (line 4): lists AVSs avs_performers lists too; list them in one place",
  ]);
});

test("a misspelt camelCase key is suggested in camelCase", () => {
  const { problems } = parse("camel-docker.yaml");
  assert.deepEqual(problems, []);
  const typo = parseExecutorConfig(
    readFileSync(join(fixtures, "camel-docker.yaml"), "utf8").replace("l1Chain:", "l1Chian:"),
  );
  assert.deepEqual(warningsOf(typo.problems).map(formatProblem), [
    'l1Chian (line 9): unknown key "l1Chian"; did you mean "l1Chain"?',
  ]);
  assert.deepEqual(
    errorsOf(typo.problems).map((p) => p.path),
    ["l1Chain"],
  );
});
