import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse as yamlParse } from "yaml";
import {
  defaultResourcesFor,
  deploymentModeOf,
  findAvs,
  parseExecutorConfig,
} from "../../../src/api/executor-config.ts";
import { loadExecutorConfigFile } from "../../../src/api/executor-config-file.ts";
import { errorsOf, formatProblem, warningsOf } from "../../../src/api/problem.ts";

const fixtures = join(import.meta.dirname, "..", "..", "fixtures", "executor-config");
const text = (name: string) => readFileSync(join(fixtures, name), "utf8");
const parse = (name: string) => parseExecutorConfig(text(name));
const parseYaml = (source: string): unknown => yamlParse(source);
const lines = (name: string) => parse(name).problems.map(formatProblem);
const HEAD = `operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
l1_chain: { rpc_url: "http://127.0.0.1:8545", chain_id: 31337 }
`;

describe("valid configs", () => {
  test("kubernetes mode: defaults filled in, no problems", () => {
    const { config, problems } = parse("kubernetes.yaml");
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.dialect, "snake_case");
    assert.equal(config.grpcPort, 9000);
    assert.equal(config.managementServerGrpcPort, undefined, "the gRPC port serves management unless given");
    assert.equal(config.healthPort, 8090);
    assert.equal(config.metricsPort, 8080);
    assert.equal(config.performer.defaultPort, 9090);
    assert.equal(config.performer.servicePattern, "performer-{name}.{namespace}.svc.cluster.local:{port}");
    assert.equal(config.kubernetes?.namespace, "my-avs-project");
    assert.equal(config.kubernetes?.cleanupOnShutdown, true);
    assert.equal(config.kubernetes?.crdGroup, "hourglass.eigenlayer.io");
    assert.equal(config.kubernetes?.connectionTimeoutMs, 10_000);
    assert.deepEqual(config.l1Chain, { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 });
    assert.equal(config.storage, undefined);
    assert.deepEqual(config.authentication, { enabled: false });
  });

  test("the guide's single key file is both the operator's key and the result-signing key", () => {
    const { config } = parse("kubernetes.yaml");
    assert.ok(config);
    const ref = { path: "operator.ecdsa_key_file", privateKeyFile: "/etc/hourglass/operator/ecdsa.key" };
    assert.deepEqual(config.operator.operatorPrivateKey, ref);
    assert.deepEqual(config.operator.signingKeys, { ecdsa: ref });
  });

  test("docker mode with chains; what is set is kept", () => {
    const { config, problems } = parse("docker.yaml");
    assert.deepEqual(problems, []);
    assert.equal(config?.performer.connectionTimeoutMs, 90_000);
    assert.equal(config?.performer.retryAttempts, 5);
    assert.equal(config?.performer.startupTimeoutMs, 300_000);
    assert.equal(config?.chains[0]?.chainId, 1);
    assert.equal(config?.avs[0]?.endpoint, "performer-container:9090");
    assert.equal(config?.logLevel, "debug");
  });

  test("an AVS's own default_resources win over the top level's; numbers become quantity text", () => {
    const { config } = parse("kubernetes.yaml");
    assert.ok(config);
    assert.deepEqual(defaultResourcesFor(config, "0x1234567890ABCDEF1234567890abcdef12345678"), {
      requests: { cpu: "0.5", memory: "1Gi" },
    });
    assert.deepEqual(defaultResourcesFor(config, "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"), {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    });
    // An AVS the config does not list still gets the top level's defaults.
    assert.deepEqual(
      defaultResourcesFor(config, "0x0000000000000000000000000000000000000001"),
      defaultResourcesFor(config, "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"),
    );
    const bare = parse("docker.yaml").config;
    assert.ok(bare);
    assert.equal(defaultResourcesFor(bare, "0x1234567890abcdef1234567890abcdef12345678"), undefined);
  });

  test("AVS lookups ignore the address's case, and each AVS takes the top-level mode when it has none", () => {
    const { config } = parse("kubernetes.yaml");
    assert.ok(config);
    const avs = findAvs(config, "0xABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD");
    assert.equal(avs?.name, "hashes");
    assert.equal(avs?.path, "avs_config.supported_avs[1]");
    assert.deepEqual(avs?.image, { repository: "hourglass-example-performer" });
    assert.equal(deploymentModeOf(config, avs), "kubernetes");
    assert.equal(findAvs(config, "0x0000000000000000000000000000000000000001"), undefined);
  });

  test("the mode declared only by the AVSs becomes the executor's", () => {
    const { config, problems } = parseExecutorConfig(`${HEAD}kubernetes:
  { namespace: ns, operator_namespace: op, crd_group: g, crd_version: v1, connection_timeout: 5s, kubeconfig: /kc }
avs_config:
  supported_avs:
    - { address: "0x1234567890abcdef1234567890abcdef12345678", performer_image: x, deployment_mode: kubernetes }
`);
    assert.ok(config, problems.map(formatProblem).join("\n"));
    assert.equal(deploymentModeOf(config), "kubernetes");
    assert.equal(config.kubernetes?.kubeConfigPath, "/kc");
    assert.equal(config.kubernetes?.inCluster, false);
  });
});

test("the repository's own sample config is valid, without warnings", () => {
  const manifest = readFileSync(
    join(import.meta.dirname, "..", "..", "..", "config", "executor", "executor-config.yaml"),
    "utf8",
  );
  const configMap = parseYaml(manifest) as { data: Record<string, string> };
  const { config, problems } = parseExecutorConfig(configMap.data["config.yaml"]!);
  assert.deepEqual(problems.map(formatProblem), []);
  assert.equal(config?.deploymentMode, "kubernetes");
});

describe("what Hourglass requires, in either dialect", () => {
  test("operator and l1Chain", () => {
    assert.deepEqual(
      errorsOf(parseExecutorConfig("grpc_port: 9000\n").problems).map((p) => p.path),
      ["operator", "l1_chain"],
    );
    assert.deepEqual(
      errorsOf(parseExecutorConfig("grpcPort: 9000\n").problems).map((p) => p.path),
      ["operator", "l1Chain"],
    );
  });

  test("the operator's address, its key and a signing key; a BLS key needs its keystore", () => {
    const { problems } = parseExecutorConfig(`operator:
  signingKeys:
    bls: { keystore: "", password: "" }
l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 1 }
`);
    assert.deepEqual(errorsOf(problems).map(formatProblem), [
      "operator.address (line 1): is required: the operator's address",
      "operator.operatorPrivateKey (line 1): is required: the operator's ECDSA key (privateKey, keystore or a file)",
      "operator.signingKeys.bls.keystore (line 3): keystore or keystoreFile is required",
    ]);
  });

  test("an ECDSA key names exactly one source, and an inline key is 64 hex digits", () => {
    const { problems } = parseExecutorConfig(`operator:
  address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
  operatorPrivateKey: { privateKey: "0x12", keystoreFile: /ks.json }
  signingKeys:
    ecdsa: { privateKey: "0x1234" }
l1Chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 1 }
`);
    assert.deepEqual(errorsOf(problems).map(formatProblem), [
      "operator.operatorPrivateKey (line 3): gives privateKey and keystoreFile; give only one of privateKey, privateKeyFile, keystore, keystoreFile",
      "operator.signingKeys.ecdsa.privateKey (line 5): must be a secp256k1 private key: 64 hex digits, optionally 0x-prefixed",
    ]);
  });

  test("an inline ECDSA keystore must be a Web3 Secret Storage keystore", () => {
    const { problems } = parseExecutorConfig(
      `${HEAD.replace("ecdsa_key_file: /k", "operator_private_key: { keystore: '{\"version\": 4}' }, signing_keys: { ecdsa: { private_key_file: /k } }")}`,
    );
    assert.deepEqual(errorsOf(problems).map(formatProblem), [
      "operator.operator_private_key.keystore (line 1): must be a Web3 Secret Storage keystore of version 3 (got version 4)",
    ]);
  });

  test("kubernetes mode: the section's keys Hourglass requires", () => {
    const { problems } = parseExecutorConfig(`${HEAD}deployment_mode: kubernetes
kubernetes:
  namespace: ns
  crd_group: g
  performer_crd_group: g
`);
    assert.deepEqual(
      errorsOf(problems).map((p) => p.path),
      [
        "kubernetes.operator_namespace",
        "kubernetes.crd_version",
        "kubernetes.connection_timeout",
        "kubernetes.kube_config_path",
        "kubernetes.performer_crd_group",
      ],
    );
    assert.match(
      problems.find((p) => p.path === "kubernetes.performer_crd_group")!.message,
      /says what crd_group says; give only one of them/,
    );
  });

  test("storage: badger needs its directory; memory needs nothing", () => {
    const badger = parseExecutorConfig(`${HEAD}storage: { type: badger }\n`);
    assert.deepEqual(
      errorsOf(badger.problems).map((p) => p.path),
      ["storage.badger"],
    );
    const other = parseExecutorConfig(`${HEAD}storage: { type: disk }\n`);
    assert.deepEqual(errorsOf(other.problems).map(formatProblem), [
      'storage.type (line 3): must be one of: memory, badger (got "disk")',
    ]);
    assert.deepEqual(parseExecutorConfig(`${HEAD}storage: { type: memory }\n`).config?.storage, {
      type: "memory",
    });
  });
});

describe("the guide's messages, verbatim", () => {
  test("mixed deployment modes not supported, at the AVS that disagrees", () => {
    assert.deepEqual(
      errorsOf(parse("mixed-modes.yaml").problems).map((p) => [p.path, p.line]),
      [["avs_config.supported_avs[1].deployment_mode", 13]],
    );
    assert.match(
      lines("mixed-modes.yaml")[0]!,
      /: mixed deployment modes not supported: "docker" here, "kubernetes" at deployment_mode/,
    );
  });

  test("an AVS that names no mode runs in docker mode, so it disagrees with one in kubernetes mode", () => {
    const { problems } = parseExecutorConfig(`${HEAD}avs_performers:
  - { avs_address: "0x1234567890abcdef1234567890abcdef12345678", endpoint: "a:1" }
  - { avs_address: "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd", deployment_mode: kubernetes }
`);
    assert.match(
      errorsOf(problems).map(formatProblem).join("\n"),
      /^avs_performers\[1\]\.deployment_mode \(line 5\): mixed deployment modes not supported: "kubernetes" here, "docker" at avs_performers\[0\]\.deployment_mode/m,
    );
  });

  test("kubernetes configuration is required, where kubernetes mode is declared", () => {
    assert.deepEqual(lines("missing-kubernetes.yaml"), [
      "avs_config.supported_avs[0].deployment_mode (line 9): kubernetes configuration is required for deployment mode kubernetes: add a kubernetes section with namespace, operator_namespace, crd_group, crd_version, connection_timeout, in_cluster",
    ]);
  });

  test("Config file not found, naming the path", () => {
    const { config, problems } = loadExecutorConfigFile("/nonexistent/config.yaml");
    assert.equal(config, undefined);
    assert.deepEqual(problems.map(formatProblem), [
      "--config: Config file not found: /nonexistent/config.yaml (check the --config path)",
    ]);
  });

  test("Invalid resource format, with the quantity and examples", () => {
    assert.ok(
      lines("many-problems.yaml").includes(
        'avs_config.supported_avs[0].default_resources.requests.cpu (line 20): Invalid resource format "500mm" (examples: 500m, 2)',
      ),
    );
  });
});

describe("every problem at once, each with its path and line", () => {
  test("many-problems.yaml", () => {
    const { config, problems } = parse("many-problems.yaml");
    assert.equal(config, undefined, "no config is returned when there is an error");
    assert.deepEqual(
      errorsOf(problems).map((p) => `${p.path}:${p.line}`),
      [
        "l1_chain:1",
        "metrics_port:3",
        "operator.address:5",
        "performer_config.startup_timeout:8",
        "performer_config.service_pattern:9",
        "kubernetes.operator_namespace:10",
        "kubernetes.crd_group:10",
        "kubernetes.crd_version:10",
        "kubernetes.connection_timeout:10",
        "kubernetes.cleanup_timeout:12",
        "avs_config.supported_avs[0].default_resources.requests.cpu:20",
        "avs_config.supported_avs[0].default_resources.requests.memory:21",
        "avs_config.supported_avs[1].address:24",
        "chains[0].chain_id:28",
        "chains[0].rpc_url:29",
      ],
    );
    const byPath = new Map(problems.map((p) => [p.path, p.message]));
    assert.equal(byPath.get("metrics_port"), "must be an integer from 1 to 65535 (got 70000)");
    assert.match(byPath.get("performer_config.startup_timeout")!, /Go duration such as 30s.*"5 minutes"/);
    assert.match(byPath.get("kubernetes.cleanup_timeout")!, /Go duration.*got 30\)/);
    assert.match(byPath.get("performer_config.service_pattern")!, /unknown placeholder \{ns\}/);
    assert.match(
      byPath.get("avs_config.supported_avs[0].default_resources.requests.memory")!,
      /limit 4Gi \(got 8Gi\)/,
    );
    assert.match(
      byPath.get("avs_config.supported_avs[1].address")!,
      /repeats avs_config\.supported_avs\[0\]\.address/,
    );
    assert.match(byPath.get("chains[0].rpc_url")!, /http:\/\/ or https:\/\/ URL/);
  });

  test("a node URL that is wrong is not quoted: it may hold an API key", () => {
    const key = "d41d8cd98f00b204e9800998ecf8427e";
    const text = (url: string) =>
      `grpc_port: 9000\nchains:\n  - name: ethereum\n    chain_id: 1\n    rpc_url: "${url}"\n`;
    for (const [url, said] of [
      [`https//mainnet.example/v3/${key}`, /got text that is not a URL/],
      [`htps://mainnet.example/v3/${key}`, /got a "htps:" URL/],
    ] as const) {
      const message = errorsOf(parseExecutorConfig(text(url)).problems)
        .map(formatProblem)
        .join("\n");
      assert.match(message, said);
      assert.doesNotMatch(message, new RegExp(key.slice(0, 8)));
    }
  });

  test("an unknown key is a warning with a suggestion, not an error", () => {
    const warnings = warningsOf(parse("many-problems.yaml").problems);
    assert.deepEqual(warnings.map(formatProblem), [
      'grpc_prot (line 2): unknown key "grpc_prot"; did you mean "grpc_port"?',
    ]);
  });

  test("unknown keys deep in the document are found too, and do not make a config invalid", () => {
    const edited = text("kubernetes.yaml").replace(
      "      name: squares\n",
      "      name: squares\n      perfomer_version: v2\n      sidecar_mode: true\n",
    );
    const { config, problems } = parseExecutorConfig(edited);
    assert.ok(config);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line, p.message]),
      [
        [
          "avs_config.supported_avs[0].perfomer_version",
          23,
          'unknown key "perfomer_version"; did you mean "performer_version"?',
        ],
        [
          "avs_config.supported_avs[0].sidecar_mode",
          24,
          'unknown key "sidecar_mode"; this executor does not use it (known here: address, avs_address, name, image, performer_image, performer_version, process_type, envs, deployment_mode, kubernetes, default_resources, endpoint)',
        ],
      ],
    );
  });

  test("keys named like Object.prototype's members are unknown keys like any other", () => {
    const names = ["constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__"];
    const { problems } = parseExecutorConfig(`${HEAD}${names.map((n) => `${n}: 1`).join("\n")}\n`);
    assert.deepEqual(
      problems.map((p) => [p.path, p.severity]),
      names.map((n) => [n, "warning"]),
    );
  });

  test("docker mode without an endpoint: a warning, as Hourglass accepts it", () => {
    const docker = parseExecutorConfig(`${HEAD}deployment_mode: docker
avs_config:
  supported_avs:
    - address: "0x1234567890abcdef1234567890abcdef12345678"
`);
    assert.ok(docker.config);
    assert.deepEqual(
      docker.problems.map((p) => [p.path, p.line, p.severity]),
      [["avs_config.supported_avs[0].endpoint", 6, "warning"]],
    );
    const withImage = parseExecutorConfig(`${HEAD}deployment_mode: docker
avs_config:
  supported_avs:
    - { address: "0x1234567890abcdef1234567890abcdef12345678", performer_image: example/p, performer_version: v1 }
`);
    assert.deepEqual(withImage.problems, [], "with an image the executor runs the performer itself");
  });

  test("syntax errors and duplicate keys name their lines", () => {
    assert.deepEqual(
      parse("syntax-error.yaml").problems.map((p) => [
        p.path,
        p.line,
        p.message.split(" ").slice(0, 3).join(" "),
      ]),
      [
        ["(yaml)", 3, "Map keys must"],
        ["(yaml)", 5, "Flow sequence in"],
      ],
    );
  });

  test("a document that is not a mapping", () => {
    assert.deepEqual(parseExecutorConfig("- a\n- b\n").problems.map(formatProblem), [
      "(document) (line 1): must be a YAML mapping of config keys",
    ]);
  });
});
