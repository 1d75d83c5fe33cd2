import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  defaultResourcesFor,
  deploymentModeOf,
  findAvs,
  loadExecutorConfigFile,
  parseExecutorConfig,
} from "../../src/api/executor-config.ts";
import { errorsOf, formatProblem, warningsOf } from "../../src/api/problem.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures", "executor-config");
const load = (name: string) => loadExecutorConfigFile(join(fixtures, name));
const lines = (name: string) => load(name).problems.map(formatProblem);

describe("valid configs", () => {
  test("kubernetes mode: defaults filled in, no problems", () => {
    const { config, problems } = load("kubernetes.yaml");
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.grpc_port, 9000);
    assert.equal(config.health_port, 8090);
    assert.equal(config.metrics_port, 8080);
    assert.equal(config.performer_config?.default_port, 9090);
    assert.equal(
      config.performer_config?.service_pattern,
      "performer-{name}.{namespace}.svc.cluster.local:{port}",
    );
    assert.equal(config.kubernetes?.namespace, "my-avs-project");
    assert.equal(config.kubernetes?.cleanup_on_shutdown, true);
    assert.equal(config.kubernetes?.performer_crd_group, "hourglass.eigenlayer.io");
  });

  test("docker mode as Hourglass writes it, chains included; what is set is kept", () => {
    const { config, problems } = load("docker.yaml");
    assert.deepEqual(problems, []);
    assert.equal(config?.performer_config?.connection_timeout, "1m30s");
    assert.equal(config?.performer_config?.retry_attempts, 5);
    assert.equal(config?.performer_config?.startup_timeout, "5m");
    assert.equal(config?.chains?.[0]?.chain_id, 1);
  });

  test("an AVS's own default_resources win over the top level's; numbers become quantity text", () => {
    const { config } = load("kubernetes.yaml");
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
    const bare = parseExecutorConfig(readFileSync(join(fixtures, "docker.yaml"), "utf8")).config;
    assert.ok(bare);
    assert.equal(defaultResourcesFor(bare, "0x1234567890abcdef1234567890abcdef12345678"), undefined);
  });

  test("AVS lookups ignore the address's case, and each AVS takes the top-level mode when it has none", () => {
    const { config } = load("kubernetes.yaml");
    assert.ok(config);
    const avs = findAvs(config, "0xABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD");
    assert.equal(avs?.name, "hashes");
    assert.equal(deploymentModeOf(config, avs), "kubernetes");
    assert.equal(findAvs(config, "0x0000000000000000000000000000000000000001"), undefined);
  });

  test("the mode declared only by the AVSs becomes the executor's", () => {
    const { config } = parseExecutorConfig(`
operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
kubernetes: { namespace: ns }
avs_config:
  supported_avs:
    - { address: "0x1234567890abcdef1234567890abcdef12345678", performer_image: x, deployment_mode: kubernetes }
`);
    assert.ok(config);
    assert.equal(deploymentModeOf(config), "kubernetes");
  });
});

describe("the guide's messages, verbatim", () => {
  test("mixed deployment modes not supported, at the AVS that disagrees", () => {
    assert.deepEqual(
      errorsOf(load("mixed-modes.yaml").problems).map((p) => [p.path, p.line]),
      [["avs_config.supported_avs[1].deployment_mode", 12]],
    );
    assert.match(
      lines("mixed-modes.yaml")[0]!,
      /: mixed deployment modes not supported: "docker" here, "kubernetes" at deployment_mode/,
    );
  });

  test("kubernetes configuration is required, where kubernetes mode is declared", () => {
    assert.deepEqual(lines("missing-kubernetes.yaml"), [
      "avs_config.supported_avs[0].deployment_mode (line 8): kubernetes configuration is required for deployment_mode kubernetes: add a kubernetes section with at least namespace (the namespace of the executor's Performers)",
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
        'avs_config.supported_avs[0].default_resources.requests.cpu (line 19): Invalid resource format "500mm" (examples: 500m, 2)',
      ),
    );
  });
});

describe("every problem at once, each with its path and line", () => {
  test("many-problems.yaml", () => {
    const { config, problems } = load("many-problems.yaml");
    assert.equal(config, undefined, "no config is returned when there is an error");
    assert.deepEqual(
      errorsOf(problems).map((p) => `${p.path}:${p.line}`),
      [
        "metrics_port:3",
        "operator.address:5",
        "performer_config.startup_timeout:8",
        "performer_config.service_pattern:9",
        "kubernetes.cleanup_timeout:12",
        "avs_config.supported_avs[0].default_resources.requests.cpu:19",
        "avs_config.supported_avs[0].default_resources.requests.memory:20",
        "avs_config.supported_avs[1].address:23",
        "chains[0].chain_id:27",
        "chains[0].rpc_url:28",
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
    const warnings = warningsOf(load("many-problems.yaml").problems);
    assert.deepEqual(warnings.map(formatProblem), [
      'grpc_prot (line 2): unknown key "grpc_prot"; did you mean "grpc_port"?',
    ]);
  });

  test("unknown keys deep in the document are found too, and do not make a config invalid", () => {
    const text = readFileSync(join(fixtures, "kubernetes.yaml"), "utf8").replace(
      "      name: squares\n",
      "      name: squares\n      perfomer_version: v2\n      sidecar_mode: true\n",
    );
    const { config, problems } = parseExecutorConfig(text);
    assert.ok(config);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line, p.message]),
      [
        [
          "avs_config.supported_avs[0].perfomer_version",
          15,
          'unknown key "perfomer_version"; did you mean "performer_version"?',
        ],
        [
          "avs_config.supported_avs[0].sidecar_mode",
          16,
          'unknown key "sidecar_mode"; this executor does not use it (known here: address, name, performer_image, performer_version, deployment_mode, default_resources, endpoint)',
        ],
      ],
    );
  });

  test("docker mode needs each AVS's endpoint or performer_image; kubernetes mode its performer_image", () => {
    const { problems } = parseExecutorConfig(`
deployment_mode: docker
operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
avs_config:
  supported_avs:
    - address: "0x1234567890abcdef1234567890abcdef12345678"
`);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      [["avs_config.supported_avs[0].endpoint", 6]],
    );
    const withImage = parseExecutorConfig(`
deployment_mode: docker
operator: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ecdsa_key_file: /k }
avs_config:
  supported_avs:
    - { address: "0x1234567890abcdef1234567890abcdef12345678", performer_image: example/p, performer_version: v1 }
`);
    assert.deepEqual(errorsOf(withImage.problems), []);
  });

  test("syntax errors and duplicate keys name their lines", () => {
    assert.deepEqual(
      load("syntax-error.yaml").problems.map((p) => [
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
