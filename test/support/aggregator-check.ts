// The aggregator's check of a result, after ECDSATaskResultAggregator.VerifyResponseSignature and the BN254
// one (ponos/pkg/signing/aggregation), written apart from the executor's signing code: digests asked of the
// chain's contracts, bytes laid out with viem's ABI encoder, ECDSA recovery with @noble/curves, BN254 by
// pairing with @noble/curves directly.
import { bn254 } from "@noble/curves/bn254.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { createPublicClient, encodeAbiParameters, type Hex, http, keccak256, toBytes, toHex } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import { hashToG1, solidityHashToG1 } from "../../src/executor/chain/bn254.ts";
import { CORE_CONTRACTS } from "../../src/executor/chain/contract-addresses.ts";
import type { CompiledContracts } from "./solidity.ts";

export interface ResultToCheck {
  taskId: string;
  avsAddress: string;
  operatorAddress: string;
  operatorSetId: number;
  output: Uint8Array;
  resultSignature: Uint8Array;
  authSignature: Uint8Array;
}

function authBytes(result: ResultToCheck): Uint8Array {
  return toBytes(
    encodeAbiParameters(
      [
        { type: "bytes32" },
        { type: "address" },
        { type: "address" },
        { type: "uint32" },
        { type: "bytes32" },
      ],
      [
        result.taskId as Hex,
        result.avsAddress as Hex,
        result.operatorAddress as Hex,
        result.operatorSetId,
        keccak256(result.resultSignature),
      ],
    ),
  );
}

function recover(hash: Hex, signature: Uint8Array): string {
  if (signature.length !== 65) throw new Error(`signature of ${signature.length} bytes`);
  const v = signature[64]!;
  if (v !== 27 && v !== 28) throw new Error(`v = ${v}, Hourglass signs with 27/28`);
  const recovered = new Uint8Array(65);
  recovered[0] = v - 27;
  recovered.set(signature.subarray(0, 64), 1);
  const publicKey = secp256k1.recoverPublicKey(recovered, toBytes(hash), { prehash: false });
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return publicKeyToAddress(toHex(uncompressed)).toLowerCase();
}

export async function chainAggregator(
  rpcUrl: string,
  contracts: CompiledContracts,
  referenceTimestamp: number,
) {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const addresses = CORE_CONTRACTS[31337]!;
  const read = (name: string, functionName: string, args: unknown[]) =>
    client.readContract({
      address: addresses[name as "TaskMailbox"] as Hex,
      abi: contracts[name]!.abi,
      functionName,
      args,
    } as never) as Promise<Hex>;
  const messageHash = (r: ResultToCheck) =>
    read("TaskMailbox", "getMessageHash", [r.taskId, toHex(r.output)]);
  return {
    /** Throws saying which check fails, as ProcessNewSignature would refuse the result. */
    async checkEcdsa(result: ResultToCheck, operatorKeyAddress: string): Promise<void> {
      const digestBytes = await read("ECDSACertificateVerifier", "calculateCertificateDigestBytes", [
        referenceTimestamp,
        await messageHash(result),
      ]);
      if (recover(keccak256(digestBytes), result.resultSignature) !== operatorKeyAddress.toLowerCase()) {
        throw new Error("result signature verification failed: signature does not match operator public key");
      }
      if (recover(keccak256(authBytes(result)), result.authSignature) !== operatorKeyAddress.toLowerCase()) {
        throw new Error("auth signature verification failed: signature does not match operator public key");
      }
    },
    async checkBn254(result: ResultToCheck, publicKey: InstanceType<typeof bn254.G2.Point>): Promise<void> {
      const digest = await read("BN254CertificateVerifier", "calculateCertificateDigest", [
        referenceTimestamp,
        await messageHash(result),
      ]);
      const pairs = (signature: Uint8Array, hashPoint: InstanceType<typeof bn254.G1.Point>) => {
        const s = bn254.G1.Point.fromAffine({
          x: BigInt(toHex(signature.subarray(0, 32))),
          y: BigInt(toHex(signature.subarray(32, 64))),
        });
        return bn254.fields.Fp12.eql(
          bn254.pairing(s, bn254.G2.Point.BASE),
          bn254.pairing(hashPoint, publicKey),
        );
      };
      if (!pairs(result.resultSignature, solidityHashToG1(toBytes(digest)))) {
        throw new Error("result signature verification failed: signature does not match operator public key");
      }
      if (!pairs(result.authSignature, hashToG1(toBytes(keccak256(authBytes(result)))))) {
        throw new Error("auth signature verification failed: signature does not match operator public key");
      }
    },
  };
}
