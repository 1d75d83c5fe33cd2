// The facts the executor asks the chain for, as Hourglass's ContractCaller asks them: an operator's details in
// an operator set (its AVS registrar's socket, the set's curve, the key registered for it), the AVS's config
// (the aggregator's operator set), the set's curve, and the digests of TaskMailbox and the certificate
// verifiers. Facts read at a given block cannot change, so those are kept (bounded) and not asked twice.

import {
  allocationManagerAbi,
  bn254CertificateVerifierAbi,
  CURVE_TYPES,
  type CurveType,
  ecdsaCertificateVerifierAbi,
  keyRegistrarAbi,
  taskAvsRegistrarAbi,
  taskMailboxAbi,
} from "./abis.ts";
import type { G2Point } from "./bn254.ts";
import { g2FromSolidity } from "./bn254.ts";
import { ChainCallError, type ChainClient } from "./chain-client.ts";

/** An operator's key registered for an operator set, by the set's curve, with its socket. */
export type OperatorSetKey =
  | { curve: "ecdsa"; ecdsaAddress: string; socket: string }
  | { curve: "bn254"; publicKey: G2Point; socket: string };

/** Why an operator has no usable membership in a set: for the caller's status message. */
export class NotInOperatorSet extends Error {}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const CACHE_LIMIT = 4_096;

type Hex = `0x${string}`;

/** The chain's answers task admission needs, with block-pinned ones kept so that a task's checks ask each
 * once. */
export class ChainFacts {
  /** The L1 client the facts are read through. */
  readonly client: ChainClient;
  readonly #cache = new Map<string, Promise<unknown>>();

  constructor(client: ChainClient) {
    this.client = client;
  }

  /** Block-pinned reads are kept; a failed one is forgotten so that it is asked again. */
  #pinned<T>(key: string, block: bigint, read: () => Promise<T>): Promise<T> {
    if (block === 0n) return read();
    const full = `${block}/${key}`;
    const known = this.#cache.get(full) as Promise<T> | undefined;
    if (known) return known;
    const pending = read();
    pending.catch(() => this.#cache.delete(full));
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(full, pending);
    return pending;
  }

  #contract<A extends readonly unknown[]>(
    name:
      | "AllocationManager"
      | "KeyRegistrar"
      | "TaskMailbox"
      | "ECDSACertificateVerifier"
      | "BN254CertificateVerifier",
    abi: A,
  ) {
    return { name, address: this.client.address(name), abi };
  }

  /** The AVS's registrar contract at a block, from AllocationManager. */
  avsRegistrar(avs: string, blockNumber: bigint, signal?: AbortSignal): Promise<Hex> {
    return this.#pinned(`registrar/${avs}`, blockNumber, () =>
      this.client.read(
        this.#contract("AllocationManager", allocationManagerAbi),
        "getAVSRegistrar",
        [avs as Hex],
        {
          blockNumber,
          signal,
        },
      ),
    );
  }

  /** The curve of an AVS's operator set at a block, from KeyRegistrar. */
  curveType(
    avs: string,
    operatorSetId: number,
    blockNumber: bigint,
    signal?: AbortSignal,
  ): Promise<CurveType> {
    return this.#pinned(`curve/${avs}/${operatorSetId}`, blockNumber, async () => {
      const value = await this.client.read(
        this.#contract("KeyRegistrar", keyRegistrarAbi),
        "getOperatorSetCurveType",
        [{ avs: avs as Hex, id: operatorSetId }],
        { blockNumber, signal },
      );
      const curve = CURVE_TYPES[value];
      if (!curve)
        throw new ChainCallError(
          `KeyRegistrar: unknown curve type ${value} for operator set ${avs}/${operatorSetId}`,
          false,
        );
      return curve;
    });
  }

  /** The AVS registrar's config: which operator set the aggregator is in. */
  aggregatorOperatorSetId(avs: string, blockNumber: bigint, signal?: AbortSignal): Promise<number> {
    return this.#pinned(`avsConfig/${avs}`, blockNumber, async () => {
      const registrar = await this.avsRegistrar(avs, blockNumber, signal);
      const config = await this.client.read(
        { name: "TaskAVSRegistrar", address: registrar, abi: taskAvsRegistrarAbi },
        "getAvsConfig",
        [],
        { blockNumber, signal },
      );
      return config.aggregatorOperatorSetId;
    });
  }

  /** GetOperatorSetDetailsForOperator: throws NotInOperatorSet when the operator has no key for the set. */
  operatorSetKey(
    operator: string,
    avs: string,
    operatorSetId: number,
    blockNumber: bigint,
    signal?: AbortSignal,
  ): Promise<OperatorSetKey> {
    return this.#pinned(`key/${operator}/${avs}/${operatorSetId}`, blockNumber, async () => {
      const set = { avs: avs as Hex, id: operatorSetId };
      const registrarRead = this.avsRegistrar(avs, blockNumber, signal).then((registrar) =>
        this.client.read(
          { name: "TaskAVSRegistrar", address: registrar, abi: taskAvsRegistrarAbi },
          "getOperatorSocket",
          [operator as Hex],
          { blockNumber, signal },
        ),
      );
      const [socket, curve] = await Promise.all([
        registrarRead,
        this.curveType(avs, operatorSetId, blockNumber, signal),
      ]);
      const where = `operator set ${avs}/${operatorSetId}${blockNumber ? ` at block ${blockNumber}` : ""}`;
      const registrar = this.#contract("KeyRegistrar", keyRegistrarAbi);
      if (curve === "ecdsa") {
        const ecdsaAddress = await this.client.read(registrar, "getECDSAAddress", [set, operator as Hex], {
          blockNumber,
          signal,
        });
        if (ecdsaAddress.toLowerCase() === ZERO_ADDRESS) {
          throw new NotInOperatorSet(`operator ${operator} has no ECDSA key registered for ${where}`);
        }
        return { curve, ecdsaAddress, socket };
      }
      if (curve === "bn254") {
        const [g1, g2] = await this.client.read(registrar, "getBN254Key", [set, operator as Hex], {
          blockNumber,
          signal,
        });
        if (g1.X === 0n && g1.Y === 0n) {
          throw new NotInOperatorSet(`operator ${operator} has no BN254 key registered for ${where}`);
        }
        try {
          return { curve, publicKey: g2FromSolidity(g2), socket };
        } catch (error) {
          throw new NotInOperatorSet(
            `operator ${operator}'s BN254 key for ${where} is not a G2 point: ${(error as Error).message}`,
          );
        }
      }
      throw new NotInOperatorSet(`${where} has no curve type configured in the KeyRegistrar`);
    });
  }

  /** TaskMailbox's message hash of a task's output, asked of the chain. */
  messageHash(taskHash: Uint8Array, output: Uint8Array, signal?: AbortSignal): Promise<Hex> {
    const mailbox = this.#contract("TaskMailbox", taskMailboxAbi);
    return this.client.read(mailbox, "getMessageHash", [toHex(taskHash), toHex(output)], { signal });
  }

  /** The ECDSA verifier's certificate digest bytes for a message hash, asked of the chain. */
  ecdsaCertificateDigestBytes(referenceTimestamp: number, messageHash: Uint8Array, signal?: AbortSignal) {
    const verifier = this.#contract("ECDSACertificateVerifier", ecdsaCertificateVerifierAbi);
    const args = [referenceTimestamp, toHex(messageHash)] as const;
    return this.client.read(verifier, "calculateCertificateDigestBytes", args, { signal });
  }

  /** The ECDSA verifier's version, part of its EIP-712 domain. */
  ecdsaVerifierVersion(signal?: AbortSignal): Promise<string> {
    const verifier = this.#contract("ECDSACertificateVerifier", ecdsaCertificateVerifierAbi);
    return this.client.read(verifier, "version", [], { signal });
  }

  /** The BN254 verifier's certificate digest for a message hash, asked of the chain. */
  bn254CertificateDigest(referenceTimestamp: number, messageHash: Uint8Array, signal?: AbortSignal) {
    return this.client.read(
      this.#contract("BN254CertificateVerifier", bn254CertificateVerifierAbi),
      "calculateCertificateDigest",
      [referenceTimestamp, toHex(messageHash)],
      { signal },
    );
  }
}

/** Bytes as the 0x-prefixed hex viem takes. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/** A 0x-prefixed hex string as bytes. */
export function fromHex(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}
