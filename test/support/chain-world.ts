// The EigenLayer state an executor's tasks need, on a local EVM: the stand-in contracts at the addresses
// Hourglass uses for chain 31337, and two AVSs whose aggregators sign with ECDSA and BN254. Each has operator
// set 0 for its aggregator and set 1 for executors, with this executor's operator in set 1.

import { join } from "node:path";
import { bn254 } from "@noble/curves/bn254.js";
import { createTestClient, createWalletClient, type Hex, http, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { bn254PublicKeys, g2ToSolidity } from "../../src/executor/chain/bn254.ts";
import type { ChainBackingInput } from "../../src/executor/chain/chain-backing.ts";
import { CORE_CONTRACTS } from "../../src/executor/chain/contract-addresses.ts";
import { unsignedTask } from "./aggregator-tasks.ts";
import { bn254KeystoreJson } from "./bls-keystore.ts";
import { type CompiledContracts, compileStandIns } from "./solidity.ts";

export const CHAIN_ID = 31337;
const CONTRACTS = CORE_CONTRACTS[CHAIN_ID]!;

// Published Hardhat/Anvil development keys: nothing secret, nothing of value.
export const OPERATOR_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const AGGREGATOR_KEY: Hex = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
export const OPERATOR_ADDRESS = privateKeyToAccount(OPERATOR_KEY).address;
export const AGGREGATOR_ADDRESS = privateKeyToAccount(AGGREGATOR_KEY).address;
export const OPERATOR_BLS_KEY =
  0x2a4f1d8e3b7c6a5d9e0f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6n % bn254.fields.Fr.ORDER;
export const AGGREGATOR_BLS_KEY =
  0x1b3d5f7092a4c6e8f0123456789abcdef0fedcba98765432100123456789abcn % bn254.fields.Fr.ORDER;

export const ECDSA_AVS = "0x00000000000000000000000000000000000ec0a1" as const;
export const BN254_AVS = "0x00000000000000000000000000000000000b0254" as const;
export const AGGREGATOR_SET = 0;
export const EXECUTOR_SET = 1;

const CURVE = { ecdsa: 1, bn254: 2 } as const;
/** Account #0 of the local node, unlocked: sends the setters' transactions. */
const SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" as const;

let compiled: Promise<CompiledContracts> | undefined;

export async function installChainWorld(rpcUrl: string) {
  compiled ??= compileStandIns();
  const contracts = await compiled;
  const transport = http(rpcUrl);
  const test = createTestClient({ mode: "hardhat", transport, pollingInterval: 20 }).extend(publicActions);
  const wallet = createWalletClient({ account: SENDER, transport });
  const place = (name: string, address: string) =>
    test.setCode({ address: address as Hex, bytecode: contracts[name]!.deployedBytecode });
  await place("TaskMailbox", CONTRACTS.TaskMailbox!);
  await place("ECDSACertificateVerifier", CONTRACTS.ECDSACertificateVerifier!);
  await place("BN254CertificateVerifier", CONTRACTS.BN254CertificateVerifier!);
  await place("KeyRegistrar", CONTRACTS.KeyRegistrar!);
  await place("AllocationManager", CONTRACTS.AllocationManager!);

  const send = async (address: string, name: string, functionName: string, args: readonly unknown[]) => {
    const hash = await wallet.writeContract({
      address: address as Hex,
      abi: contracts[name]!.abi,
      functionName,
      args,
      chain: null,
    } as never);
    const receipt = await test.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${name}.${functionName} reverted`);
    return receipt.blockNumber;
  };
  const registrar = CONTRACTS.KeyRegistrar!;
  const set = (avs: string, id: number) => ({ avs, id });
  const bn254Key = (secret: bigint) => {
    const { g1, g2 } = bn254PublicKeys(secret);
    const { x, y } = g1.toAffine();
    return [{ X: x, Y: y }, g2ToSolidity(g2)] as const;
  };

  const world = {
    rpcUrl,
    contracts,
    send,
    /** Registers `operator`'s ECDSA address for (avs, set). */
    registerEcdsa: (avs: string, id: number, operator: string, key: string) =>
      send(registrar, "KeyRegistrar", "setECDSAAddress", [set(avs, id), operator, key]),
    registerBn254: (avs: string, id: number, operator: string, secret: bigint) =>
      send(registrar, "KeyRegistrar", "setBN254Key", [set(avs, id), operator, ...bn254Key(secret)]),
    unregisterEcdsa: (avs: string, id: number, operator: string) =>
      send(registrar, "KeyRegistrar", "setECDSAAddress", [
        set(avs, id),
        operator,
        "0x0000000000000000000000000000000000000000",
      ]),
    // viem caches the block number for its polling interval; a task made right after a transaction needs the new one.
    blockNumber: () => test.getBlockNumber({ cacheTime: 0 }),
  };

  /** Makes `avs` an AVS whose aggregator (set 0) and executors (set 1) sign with `curve`, with `operator` in
   * its executor set (its ECDSA key is its address; a BN254 one is the operator's BLS key). Each AVS is its own
   * registrar (AllocationManager answers the AVS when none is set). */
  const addAvs = async (avs: string, curve: keyof typeof CURVE, operator: string = OPERATOR_ADDRESS) => {
    await place("TaskAVSRegistrar", avs);
    await send(registrar, "KeyRegistrar", "configureOperatorSet", [set(avs, AGGREGATOR_SET), CURVE[curve]]);
    await send(registrar, "KeyRegistrar", "configureOperatorSet", [set(avs, EXECUTOR_SET), CURVE[curve]]);
    await send(avs, "TaskAVSRegistrar", "setAvsConfig", [
      { aggregatorOperatorSetId: AGGREGATOR_SET, executorOperatorSetIds: [EXECUTOR_SET] },
    ]);
    await send(avs, "TaskAVSRegistrar", "setOperatorSocket", [operator, "127.0.0.1:9000"]);
    if (curve === "ecdsa") {
      await world.registerEcdsa(avs, AGGREGATOR_SET, AGGREGATOR_ADDRESS, AGGREGATOR_ADDRESS);
      await world.registerEcdsa(avs, EXECUTOR_SET, operator, operator);
    } else {
      await world.registerBn254(avs, AGGREGATOR_SET, AGGREGATOR_ADDRESS, AGGREGATOR_BLS_KEY);
      await world.registerBn254(avs, EXECUTOR_SET, operator, OPERATOR_BLS_KEY);
    }
  };
  await addAvs(ECDSA_AVS, "ecdsa");
  await addAvs(BN254_AVS, "bn254");
  return { ...world, addAvs };
}
export type ChainWorld = Awaited<ReturnType<typeof installChainWorld>>;

/** A task of `avs` for `executor` (by default this world's operator) in the executor set, at the chain's current
 * block, unsigned. */
export async function taskFor(
  world: Pick<ChainWorld, "blockNumber">,
  avs: string,
  executor: string = OPERATOR_ADDRESS,
  payload?: Buffer,
) {
  return unsignedTask({
    avs,
    aggregator: AGGREGATOR_ADDRESS,
    executor,
    ...(payload ? { payload } : {}),
    operatorSetId: EXECUTOR_SET,
    blockNumber: await world.blockNumber(),
  });
}

/** What the executor's config gives the chain-backed signer: this world's operator, its keys (the BLS one in a
 * keystore), the local chain, and a task store on disk in `dir`. */
export function chainBackingInput(rpcUrl: string, dir: string): ChainBackingInput {
  return {
    operatorAddress: OPERATOR_ADDRESS,
    ecdsaPrivateKey: Buffer.from(OPERATOR_KEY.slice(2), "hex"),
    bls: { keystore: bn254KeystoreJson(OPERATOR_BLS_KEY, "pässword"), password: "pässword" },
    l1Chain: { rpcUrl, chainId: CHAIN_ID },
    storage: { type: "badger", badger: { dir: join(dir, "store") } },
  };
}
