// The AVS side of `make dev`: a local EVM on 127.0.0.1 (Hardhat's node, from the devDependencies) holding the
// contracts the executor reads (the tests' chain world, with the dev AVS and its operator registered), and an
// executor as a process on the host that answers one task through its performer: signed by the AVS's aggregator
// as Hourglass's aggregator signs it, and its result checked as Hourglass's aggregator checks it. In kubernetes mode it creates its Performer (the controller makes it a
// Pod on the local node) and reaches it by the guide's service_pattern
// `performer-{name}.{namespace}.svc.cluster.local:{port}` through the node's CoreDNS and kube-proxy; in docker mode
// (`make dev MODE=docker`) it runs the performer's container itself through a Docker Engine API, on
// hourglass-network.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { addressOfPrivateKey } from "../../src/executor/operator-signer.ts";
import { freePort } from "../../test/controlplane/controlplane.ts";
import { type NodeProcess, startNodeProcess } from "../../test/controlplane/operator-process.ts";
import { chainAggregator } from "../../test/support/aggregator-check.ts";
import { signEcdsaTask } from "../../test/support/aggregator-tasks.ts";
import {
  AGGREGATOR_KEY,
  CHAIN_ID,
  type ChainWorld,
  installChainWorld,
  taskFor,
} from "../../test/support/chain-world.ts";
import { executorClient } from "../../test/support/grpc-clients.ts";
import { startLocalEvm } from "../../test/support/local-evm.ts";

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
  rpcUrl: string,
): Record<string, unknown> {
  const common = {
    aggregator_endpoint: "127.0.0.1:9001",
    deployment_mode: mode.kind,
    operator: { address: operator.address, ecdsa_key_file: operator.keyFile },
    l1_chain: { rpc_url: rpcUrl, chain_id: CHAIN_ID },
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
  world: ChainWorld;
  operatorAddress: string;
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
  const operatorAddress = addressOfPrivateKey(key);
  const evm = await startLocalEvm({ port: await freePort(), logFile: join(options.logs, "evm.log") });
  const evmProcess: NodeProcess = { child: evm.child, stop: () => evm.stop() };
  let world: ChainWorld;
  try {
    world = await installChainWorld(evm.rpcUrl);
    await world.addAvs(DEV_AVS, "ecdsa", operatorAddress);
  } catch (error) {
    await evm.stop();
    throw error;
  }
  const config = executorConfig(options.mode, { address: operatorAddress, keyFile }, evm.rpcUrl);
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
  }).catch(async (error: unknown) => {
    await evm.stop();
    throw error;
  });
  return {
    // The executor stops first: it drains its tasks while the chain still answers.
    processes: [executor, evmProcess],
    summary: [
      `local EVM: ${evm.rpcUrl} (chain ${CHAIN_ID}; TaskMailbox, the certificate verifiers, KeyRegistrar and AllocationManager at Hourglass's addresses for it; AVS ${DEV_AVS} with operator ${operatorAddress})`,
      `executor (${mode.kind} mode): gRPC 127.0.0.1:${EXECUTOR_GRPC_PORT} (config ${configFile}), /health and /ready on :${EXECUTOR_HEALTH_PORT}`,
    ],
    world,
    operatorAddress,
  };
}

/** Waits for the executor to be ready (its performer's Pod on the node, or its container; the chain answering),
 * then sends one task through it, signed by the AVS's aggregator, and checks the result as Hourglass's aggregator
 * does. */
export async function demoTask(avs: DevAvs, signal: AbortSignal): Promise<string[]> {
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
    const task = signEcdsaTask(
      await taskFor(avs.world, DEV_AVS, avs.operatorAddress, payload),
      AGGREGATOR_KEY,
    );
    const result = await client.submitTask(task);
    const check = await chainAggregator(avs.world.rpcUrl, avs.world.contracts, task.reference_timestamp);
    const verdict = await check
      .checkEcdsa(
        {
          taskId: result.task_id,
          avsAddress: result.avs_address,
          operatorAddress: result.operator_address,
          operatorSetId: result.operator_set_id,
          output: result.output,
          resultSignature: result.result_signature,
          authSignature: result.auth_signature,
        },
        avs.operatorAddress,
      )
      .then(
        () => "the aggregator's check accepts it: both signatures recover to the operator's key",
        (error: Error) => `the aggregator's check REFUSES it: ${error.message}`,
      );
    return [
      `task ${task.task_id} ("${payload}", signed by aggregator ${task.aggregator_address} at block ${task.task_block_number}) -> output ${Buffer.from(result.output).toString("hex")}`,
      `  result_signature ${Buffer.from(result.result_signature).toString("hex").slice(0, 16)}… over the certificate digest, auth_signature ${Buffer.from(result.auth_signature).toString("hex").slice(0, 16)}…, operator set ${result.operator_set_id}`,
      `  ${verdict}`,
    ];
  } finally {
    client.close();
  }
}
