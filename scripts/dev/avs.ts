// The AVS side of `make dev`: an executor as a process on the host that answers one task through its performer,
// so that the output shows a signed result. In kubernetes mode it creates its Performer (the controller makes it a
// Pod on the local node) and reaches it by the guide's service_pattern
// `performer-{name}.{namespace}.svc.cluster.local:{port}` through the node's CoreDNS and kube-proxy; in docker mode
// (`make dev MODE=docker`) it runs the performer's container itself through a Docker Engine API, on
// hourglass-network.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { addressOfPrivateKey, recoverSigner } from "../../src/executor/operator-signer.ts";
import { freePort } from "../../test/controlplane/controlplane.ts";
import { type NodeProcess, startNodeProcess } from "../../test/controlplane/operator-process.ts";
import { executorClient } from "../../test/support/grpc-clients.ts";

const root = join(import.meta.dirname, "..", "..");
export const DEV_AVS = "0x1234567890abcdef1234567890abcdef12345678";
export const DEV_NAMESPACE = "my-avs-project";
const EXECUTOR_GRPC_PORT = 9000;
const EXECUTOR_HEALTH_PORT = 8090;
export const DEV_PERFORMER_NETWORK = "hourglass-network";

/** Where the performer runs: a Pod on the local node, or a container of `image` in the engine at `dockerHost`. */
export type DevMode =
  | { kind: "kubernetes"; kubeconfigPath: string; resolvConf: string }
  | { kind: "docker"; dockerHost: string; image: { repository: string; tag: string } };

/** The executor's config, in the guide's dialect, for the mode. */
function executorConfig(
  mode: DevMode,
  operator: { address: string; keyFile: string },
): Record<string, unknown> {
  const common = {
    aggregator_endpoint: "127.0.0.1:9001",
    deployment_mode: mode.kind,
    operator: { address: operator.address, ecdsa_key_file: operator.keyFile },
    // Required; the dev executor reads nothing from a chain yet.
    l1_chain: { rpc_url: "http://127.0.0.1:8545", chain_id: 31337 },
    // The first start pulls nothing, but the Performer's readiness probe waits 30 s before its first try.
    performer_config: { startup_timeout: "3m" },
  };
  const avs = { address: DEV_AVS, name: "my-avs", deployment_mode: mode.kind };
  if (mode.kind === "docker") {
    return {
      ...common,
      performer_network_name: DEV_PERFORMER_NETWORK,
      avs_config: {
        supported_avs: [
          {
            ...avs,
            performer_image: mode.image.repository,
            performer_version: mode.image.tag,
            default_resources: { limits: { cpu: "1", memory: "256Mi" } },
          },
        ],
      },
    };
  }
  return {
    ...common,
    kubernetes: {
      namespace: DEV_NAMESPACE,
      operator_namespace: "hourglass-system",
      performer_crd_group: "hourglass.eigenlayer.io",
      performer_crd_version: "v1alpha1",
      connection_timeout: "30s",
      kubeconfig: mode.kubeconfigPath,
      cleanup_on_shutdown: true,
      cleanup_timeout: "30s",
    },
    avs_config: {
      supported_avs: [{ ...avs, performer_image: "hourglass-example-performer", performer_version: "dev" }],
    },
  };
}

export interface DevAvs {
  processes: NodeProcess[];
  summary: string[];
}

export async function startDevAvs(options: {
  dir: string;
  logs: string;
  mode: DevMode;
  detached: boolean;
}): Promise<DevAvs> {
  await mkdir(options.dir, { recursive: true });
  const key = randomBytes(32);
  const keyFile = join(options.dir, "operator.key");
  await writeFile(keyFile, key.toString("hex"), { mode: 0o600 });
  const config = executorConfig(options.mode, { address: addressOfPrivateKey(key), keyFile });
  const configFile = join(options.dir, "executor-config.yaml");
  await writeFile(configFile, stringify(config));
  const { mode } = options;
  const executor = await startNodeProcess({
    name: "the executor",
    args: [
      join(root, "src", "cli", "executor.ts"),
      "run",
      `--config=${configFile}`,
      "--host=127.0.0.1",
      `--grpc-port=${EXECUTOR_GRPC_PORT}`,
      `--health-port=${EXECUTOR_HEALTH_PORT}`,
      `--metrics-port=${await freePort()}`,
    ],
    logFile: join(options.logs, "executor.log"),
    // Serving starts at once; /ready waits for the Performer (see demoTask).
    readyUrl: `http://127.0.0.1:${EXECUTOR_HEALTH_PORT}/health`,
    detached: options.detached,
    ...(mode.kind === "kubernetes"
      ? { resolvConf: mode.resolvConf }
      : { env: { DOCKER_HOST: mode.dockerHost } }),
  });
  return {
    processes: [executor],
    summary: [
      `executor (${mode.kind} mode): gRPC 127.0.0.1:${EXECUTOR_GRPC_PORT} (config ${configFile}), /health and /ready on :${EXECUTOR_HEALTH_PORT}`,
    ],
  };
}

/** Waits for the executor's performer to be Ready (its Pod on the node, or its container), then sends one task
 * through it. */
export async function demoTask(dir: string, signal: AbortSignal): Promise<string[]> {
  const ready = () =>
    fetch(`http://127.0.0.1:${EXECUTOR_HEALTH_PORT}/ready`, { signal }).then(
      (r) => r.ok,
      () => false,
    );
  while (!(await ready())) {
    signal.throwIfAborted();
    await sleep(1000, undefined, { signal });
  }
  const client = executorClient(`127.0.0.1:${EXECUTOR_GRPC_PORT}`);
  try {
    const payload = Buffer.from("hello hourglass");
    const result = await client.submitTask({
      task_id: "dev-1",
      aggregator_address: "",
      avs_address: DEV_AVS,
      payload,
      signature: Buffer.alloc(0),
    });
    const signer = recoverSigner(result.output, result.result_signature);
    const key = (await readFile(join(dir, "operator.key"), "utf8")).trim();
    const operator = addressOfPrivateKey(Buffer.from(key, "hex"));
    return [
      `task dev-1 ("${payload}") -> output ${Buffer.from(result.output).toString("hex")}`,
      `  signed by ${signer} (${signer.toLowerCase() === operator.toLowerCase() ? "the operator's key" : "NOT the operator's key"})`,
    ];
  } finally {
    client.close();
  }
}
