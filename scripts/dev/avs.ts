// The AVS side of `make dev`: the sample performer and an executor routing to it, as real processes on loopback,
// and one task submitted through them so that the output shows a signed result. No kubelet runs Pods here, so the
// executor runs in docker mode with the performer's endpoint on 127.0.0.1 (kubernetes mode is covered by the e2e
// tests, which play the kubelet).
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { addressOfPrivateKey, recoverSigner } from "../../src/executor/operator-signer.ts";
import { freePort } from "../../test/controlplane/controlplane.ts";
import { type NodeProcess, startNodeProcess } from "../../test/controlplane/operator-process.ts";
import { executorClient } from "../../test/support/grpc-clients.ts";

const root = join(import.meta.dirname, "..", "..");
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const PERFORMER_GRPC_PORT = 9090;
const EXECUTOR_GRPC_PORT = 9000;
const EXECUTOR_HEALTH_PORT = 8090;

export interface DevAvs {
  processes: NodeProcess[];
  summary: string[];
}

export async function startDevAvs(dir: string, logs: string, detached: boolean): Promise<DevAvs> {
  await mkdir(dir, { recursive: true });
  const key = randomBytes(32);
  const keyFile = join(dir, "operator.key");
  await writeFile(keyFile, key.toString("hex"), { mode: 0o600 });
  const operatorAddress = addressOfPrivateKey(key);
  const performerHealth = await freePort();
  const performer = await startNodeProcess({
    name: "the sample performer",
    args: [
      join(root, "examples", "performer", "main.ts"),
      "--host=127.0.0.1",
      `--grpc-port=${PERFORMER_GRPC_PORT}`,
      `--health-port=${performerHealth}`,
    ],
    logFile: join(logs, "performer.log"),
    readyUrl: `http://127.0.0.1:${performerHealth}/health`,
    detached,
  });
  const config = {
    aggregator_endpoint: "127.0.0.1:9001",
    deployment_mode: "docker",
    operator: { address: operatorAddress, ecdsa_key_file: keyFile },
    avs_config: {
      supported_avs: [{ address: AVS, name: "my-avs", endpoint: `127.0.0.1:${PERFORMER_GRPC_PORT}` }],
    },
  };
  const configFile = join(dir, "executor-config.yaml");
  await writeFile(configFile, stringify(config));
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
    logFile: join(logs, "executor.log"),
    readyUrl: `http://127.0.0.1:${EXECUTOR_HEALTH_PORT}/ready`,
    detached,
  });
  const client = executorClient(`127.0.0.1:${EXECUTOR_GRPC_PORT}`);
  try {
    const payload = Buffer.from("hello hourglass");
    const result = await client.submitTask({
      task_id: "dev-1",
      aggregator_address: "",
      avs_address: AVS,
      payload,
      signature: Buffer.alloc(0),
    });
    const signer = recoverSigner(result.output, result.result_signature);
    return {
      processes: [executor, performer],
      summary: [
        `executor: gRPC 127.0.0.1:${EXECUTOR_GRPC_PORT} (config ${configFile}), /health and /ready on :${EXECUTOR_HEALTH_PORT}`,
        `sample performer: gRPC 127.0.0.1:${PERFORMER_GRPC_PORT}`,
        `task dev-1 ("${payload}") -> output ${Buffer.from(result.output).toString("hex")}`,
        `  signed by ${signer} (${signer.toLowerCase() === operatorAddress.toLowerCase() ? "the operator's key" : "NOT the operator's key"})`,
      ],
    };
  } finally {
    client.close();
  }
}
