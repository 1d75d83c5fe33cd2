// Signing a task's result the Hourglass way, and admitting a task, against today's single signature over
// keccak256(output): in-process, on a local EVM with the stand-in contracts (test/support/chain-world.ts).
// Each figure is the p50 over many tasks, after a warm-up; the chain calls go to the node over HTTP on 127.0.0.1.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { CertificateDigests } from "../src/executor/chain/certificate-digests.ts";
import { ChainClient } from "../src/executor/chain/chain-client.ts";
import { ChainFacts } from "../src/executor/chain/chain-facts.ts";
import { coreContractsFor } from "../src/executor/chain/contract-addresses.ts";
import { SigningThreads } from "../src/executor/chain/signing-thread.ts";
import { ChainTaskAuthority } from "../src/executor/chain/task-authority.ts";
import { memoryTaskStore } from "../src/executor/chain/task-store.ts";
import type { ChainTaskSubmission } from "../src/executor/chain/task-validation.ts";
import { signOutput } from "../src/executor/operator-signer.ts";
import { signBn254Task, signEcdsaTask, unsignedTask } from "../test/support/aggregator-tasks.ts";
import {
  AGGREGATOR_ADDRESS,
  AGGREGATOR_BLS_KEY,
  AGGREGATOR_KEY,
  BN254_AVS,
  CHAIN_ID,
  ECDSA_AVS,
  EXECUTOR_SET,
  installChainWorld,
  OPERATOR_ADDRESS,
  OPERATOR_BLS_KEY,
  OPERATOR_KEY,
} from "../test/support/chain-world.ts";
import { startLocalEvm } from "../test/support/local-evm.ts";
import { atMost, type Check } from "./checks.ts";
import { median } from "./load-stats.ts";

export interface ChainSigningResult {
  /** p50 milliseconds per task. */
  p50Ms: Record<string, number>;
  checks: Check[];
  notes: string[];
}

async function p50(count: number, warmUp: number, work: (i: number) => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmUp + count; i++) {
    const started = performance.now();
    await work(i);
    if (i >= warmUp) times.push(performance.now() - started);
  }
  return median(times);
}

export async function chainSigningBenchmark(tasks: number): Promise<ChainSigningResult> {
  const evm = await startLocalEvm();
  try {
    const world = await installChainWorld(evm.rpcUrl);
    const client = new ChainClient({
      rpcUrl: evm.rpcUrl,
      chainId: CHAIN_ID,
      contracts: coreContractsFor(CHAIN_ID),
    });
    const local = new CertificateDigests(new ChainFacts(client));
    if (!(await local.selfTest())) throw new Error(local.selfTestResult);
    const onChain = new CertificateDigests(new ChainFacts(client));
    const keys = { ecdsa: Buffer.from(OPERATOR_KEY.slice(2), "hex"), bn254: OPERATOR_BLS_KEY };
    const threads = new SigningThreads();
    const authority = (digests: CertificateDigests, facts = new ChainFacts(client)) =>
      new ChainTaskAuthority({
        facts,
        digests,
        store: memoryTaskStore(),
        operatorAddress: OPERATOR_ADDRESS,
        keys,
        threads,
      });
    const block = await world.blockNumber();
    const task = (avs: string, sign: (t: Omit<ChainTaskSubmission, "signature">) => ChainTaskSubmission) =>
      sign(
        unsignedTask({
          avs,
          aggregator: AGGREGATOR_ADDRESS,
          executor: OPERATOR_ADDRESS,
          operatorSetId: EXECUTOR_SET,
          blockNumber: block,
        }),
      );
    const ecdsaTasks = Array.from({ length: tasks + 50 }, () =>
      task(ECDSA_AVS, (t) => signEcdsaTask(t, AGGREGATOR_KEY)),
    );
    const bn254Tasks = Array.from({ length: 60 }, () =>
      task(BN254_AVS, (t) => signBn254Task(t, AGGREGATOR_BLS_KEY)),
    );
    const output = randomBytes(32);
    const ecdsaAdmission = { curve: "ecdsa" as const };
    const bn254Admission = { curve: "bn254" as const };

    const p50Ms: Record<string, number> = {};
    p50Ms.todaySignature = await p50(tasks, 100, () => signOutput(output, keys.ecdsa));
    p50Ms.ecdsaSignLocalDigest = await p50(tasks, 50, (i) =>
      authority(local).sign(ecdsaTasks[i]!, ecdsaAdmission, output),
    );
    p50Ms.ecdsaSignChainDigest = await p50(tasks, 50, (i) =>
      authority(onChain).sign(ecdsaTasks[i]!, ecdsaAdmission, output),
    );
    p50Ms.bn254SignLocalDigest = await p50(50, 10, (i) =>
      authority(local).sign(bn254Tasks[i]!, bn254Admission, output),
    );
    const cachedFacts = new ChainFacts(client);
    p50Ms.ecdsaAdmitFactsKnown = await p50(tasks, 50, (i) =>
      authority(local, cachedFacts).admit(ecdsaTasks[i]!),
    );
    p50Ms.ecdsaAdmitFactsRead = await p50(tasks, 50, (i) => authority(local).admit(ecdsaTasks[i]!));
    p50Ms.bn254AdmitFactsKnown = await p50(50, 10, (i) =>
      authority(local, cachedFacts).admit(bn254Tasks[i]!),
    );

    await threads.close();
    const perSignature = p50Ms.ecdsaSignLocalDigest / 2;
    return {
      p50Ms,
      checks: [
        atMost(
          "chain-signing",
          "ECDSA per signature (local digests) / today's signature",
          perSignature / p50Ms.todaySignature,
          1.5,
        ),
      ],
      notes: [
        `p50 ms per task (${tasks} tasks): ${Object.entries(p50Ms)
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(", ")}`,
        "a result is two signatures (result_signature and auth_signature); asking the chain for the digests adds getMessageHash and the verifier's digest, two eth_calls in a row",
        "admission reads 6-8 facts at the task's block (one batched request); facts at a block do not change, so tasks at a known block read none",
      ],
    };
  } finally {
    await evm.stop();
  }
}

if (import.meta.main) {
  const result = await chainSigningBenchmark(Number(process.env.BENCH_TASKS ?? 400));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
