// What a Hourglass client signs for a management call, computed with another library than the executor's: its
// ECDSA signer hashes ConstructSignedMessage(token) = keccak256(token) once more and encodes r || s || v with
// v = 27 or 28.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

export function challengeSignature(token: string, key: Uint8Array): Buffer {
  const digest = keccak_256(keccak_256(new TextEncoder().encode(token)));
  // noble's "recovered" format is v || r || s with v = 0 or 1.
  const signature = secp256k1.sign(digest, key, { prehash: false, format: "recovered" });
  return Buffer.concat([signature.subarray(1), Buffer.from([signature[0]! + 27])]);
}
