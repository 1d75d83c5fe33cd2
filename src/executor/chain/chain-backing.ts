// The chain-backed side of the executor put together from its config: the L1 client (with the contracts for
// l1Chain.chainId and overrideContracts), the digests' self-test, the task store (`storage`), the operator's
// keys, and the task authority over them. The executor stays up when the chain does not answer: it reports
// not ready until the chain does, and the probe runs the digest self-test once the chain is back.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorLogFields } from "../../kube/api-errors.ts";
import { decryptBn254Keystore } from "./bls-keystore.ts";
import { CertificateDigests } from "./certificate-digests.ts";
import { ChainClient } from "./chain-client.ts";
import { ChainFacts } from "./chain-facts.ts";
import { coreContractsFor, type OverrideContracts } from "./contract-addresses.ts";
import { SigningThreads } from "./signing-thread.ts";
import { ChainTaskAuthority } from "./task-authority.ts";
import { memoryTaskStore, sqliteTaskStore, type TaskStore } from "./task-store.ts";

/** The executor config's parts the chain-backed signing needs: operator, keys, L1 chain, contract overrides,
 * storage. */
export interface ChainBackingInput {
  operatorAddress: string;
  ecdsaPrivateKey?: Uint8Array;
  bls?: { keystore?: string; keystoreFile?: string; password: string };
  l1Chain: { rpcUrl: string; chainId: number };
  overrideContracts?: { taskMailbox?: { contract?: string; chainIds: readonly number[] } };
  /** As Hourglass's: memory, or badger with a directory (here an SQLite file in it). */
  storage?: { type: string; badger?: { dir?: string; inMemory?: boolean } };
  /** Threads that check and sign tasks beside the event loop (SigningThreads; 0, the default: ECDSA work on
   * it). */
  signingThreads?: number;
}

/** The chain-backed signing once started: what admits and signs tasks, and what /ready reports of the chain. */
export interface ChainBacking {
  authority: ChainTaskAuthority;
  client: ChainClient;
  digests: CertificateDigests;
  /** For /ready: whether the chain answers, and if not why. */
  readiness(): { ready: boolean; rpcUrl: string; problem?: string; digests: string };
  stop(): Promise<void>;
}

const PROBE_INTERVAL_MS = 1_000;
/** The SQLite file, in storage.badger.dir, that keeps answered task ids across restarts. */
export const TASK_STORE_FILE = "processed-tasks.sqlite";

function openTaskStore(storage: ChainBackingInput["storage"]): TaskStore {
  if (!storage || storage.type === "memory" || storage.badger?.inMemory) return memoryTaskStore();
  const dir = storage.badger?.dir;
  if (!dir)
    throw new Error(
      `storage.badger.dir: required when storage.type is "${storage.type}"; name the directory for the task store`,
    );
  return sqliteTaskStore(join(dir, TASK_STORE_FILE));
}

async function blsKey(bls: NonNullable<ChainBackingInput["bls"]>): Promise<bigint> {
  const where = bls.keystoreFile
    ? `operator.signingKeys.bls.keystoreFile (${bls.keystoreFile})`
    : "operator.signingKeys.bls.keystore";
  let text = bls.keystore;
  if (text === undefined && bls.keystoreFile) {
    try {
      text = await readFile(bls.keystoreFile, "utf8");
    } catch (error) {
      throw new Error(`${where}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
  }
  if (text === undefined) throw new Error("operator.signingKeys.bls: give keystore or keystoreFile");
  try {
    return decryptBn254Keystore(text, bls.password);
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message}`);
  }
}

/** Puts the chain-backed signing together from the config; starts even when the chain does not answer yet. */
export async function startChainBacking(input: ChainBackingInput, log: Logger): Promise<ChainBacking> {
  const overrides: OverrideContracts = {};
  const mailbox = input.overrideContracts?.taskMailbox;
  if (mailbox?.contract) overrides.taskMailbox = { contract: mailbox.contract, chainIds: mailbox.chainIds };
  const client = new ChainClient({
    rpcUrl: input.l1Chain.rpcUrl,
    chainId: input.l1Chain.chainId,
    contracts: coreContractsFor(input.l1Chain.chainId, overrides),
  });
  const bn254 = input.bls ? await blsKey(input.bls) : undefined;
  const digests = new CertificateDigests(new ChainFacts(client));
  const store = openTaskStore(input.storage);
  const authority = new ChainTaskAuthority({
    facts: new ChainFacts(client),
    digests,
    store,
    operatorAddress: input.operatorAddress,
    threads: new SigningThreads(input.signingThreads),
    keys: {
      ...(input.ecdsaPrivateKey ? { ecdsa: input.ecdsaPrivateKey } : {}),
      ...(bn254 !== undefined ? { bn254 } : {}),
    },
  });
  // Stopping cancels the probes and self-tests still waiting on the RPC.
  const stopping = new AbortController();
  const selfTest = async () => {
    try {
      const local = await digests.selfTest(stopping.signal);
      (local ? log.info : log.warn).call(
        log,
        { rpcUrl: client.rpcUrl },
        `certificate digests: ${digests.selfTestResult}`,
      );
    } catch (error) {
      if (stopping.signal.aborted) return;
      log.warn(
        { rpcUrl: client.rpcUrl, ...errorLogFields(error) },
        "certificate digest self-test could not run; digests are asked of the chain until it does",
      );
    }
  };
  try {
    await client.checkChain(stopping.signal);
    await selfTest();
  } catch (error) {
    log.warn(
      { rpcUrl: client.rpcUrl, ...errorLogFields(error) },
      "the L1 chain does not answer; not ready until it does",
    );
  }
  const stopWatching = client.watch(PROBE_INTERVAL_MS, () => {
    log.info({ rpcUrl: client.rpcUrl }, "the L1 chain answers again");
    if (!digests.local) void selfTest();
  });
  return {
    authority,
    client,
    digests,
    readiness: () => ({
      ready: client.reachable,
      rpcUrl: client.rpcUrl,
      ...(client.reachable ? {} : { problem: client.lastError }),
      digests: digests.local ? "local" : "chain",
    }),
    async stop() {
      stopping.abort();
      stopWatching();
      await authority.close();
      store.close();
    },
  };
}
