// Executor configs and operator keys for tests that run `hourglass-executor run`.
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { stringify } from "yaml";
import { addressOfPrivateKey } from "../../src/executor/operator-signer.ts";

export interface TestOperator {
  address: string;
  keyFile: string;
}

/** A fresh secp256k1 key in a file of its own, and its address. */
export async function testOperator(dir: string): Promise<TestOperator> {
  const key = secp256k1.utils.randomSecretKey();
  const keyFile = join(dir, "operator.key");
  await writeFile(keyFile, `0x${Buffer.from(key).toString("hex")}\n`, { mode: 0o600 });
  return { address: addressOfPrivateKey(key), keyFile };
}

/** A config's l1_chain: the test's own local EVM (test-chain.ts), which the executor reads every task from. */
export interface L1Chain {
  rpc_url: string;
  chain_id: number;
}

export function testAvsAddress(): string {
  return `0x${randomBytes(20).toString("hex")}`;
}

export async function testDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/** Writes `config.yaml` in `dir` and returns its path. */
export async function writeExecutorConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, "config.yaml");
  await writeFile(path, stringify(config));
  return path;
}

/** A docker-mode config in the guide's keys, one AVS per performer endpoint. */
export function dockerModeConfig(
  l1Chain: L1Chain,
  operator: TestOperator,
  avs: Array<{ address: string; name: string; endpoint: string }>,
  performerConfig: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    aggregator_endpoint: "127.0.0.1:9010",
    deployment_mode: "docker",
    log_level: "info",
    operator: { address: operator.address, ecdsa_key_file: operator.keyFile },
    l1_chain: l1Chain,
    performer_config: { connection_timeout: "10s", retry_attempts: 3, ...performerConfig },
    avs_config: {
      supported_avs: avs.map((a) => ({
        address: a.address,
        name: a.name,
        performer_image: "hourglass-example-performer",
        performer_version: "dev",
        deployment_mode: "docker",
        endpoint: a.endpoint,
      })),
    },
  };
}
