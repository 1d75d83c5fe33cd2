// How the executor signs results, as Hourglass's ECDSA operators do: secp256k1 over keccak256(output), encoded
// Ethereum-style as r || s || v (65 bytes, v = recovery id 0 or 1), so that the signer's address can be
// recovered from (output, signature) alone and compared with the operator's registered address.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

export interface OperatorSigner {
  /** `0x` + 40 lowercase hex. */
  address: string;
  sign(output: Uint8Array): Buffer;
}

/** The key as an `operator.ecdsa_key_file` holds it: 64 hex digits, with or without `0x`, surrounding space ignored. */
export function parsePrivateKeyHex(text: string): Uint8Array {
  const hex = text.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error("expected a secp256k1 private key: 64 hex digits, optionally prefixed with 0x");
  }
  const key = Buffer.from(hex, "hex");
  if (!secp256k1.utils.isValidSecretKey(key)) {
    throw new Error("not a valid secp256k1 private key (zero, or not below the curve order)");
  }
  return key;
}

function addressOfPublicKey(uncompressed: Uint8Array): string {
  // The address is the last 20 bytes of keccak256 over the 64-byte X || Y, without the 0x04 prefix.
  return `0x${Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(12)).toString("hex")}`;
}

export function addressOfPrivateKey(privateKey: Uint8Array): string {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKey, false));
}

export function signOutput(output: Uint8Array, privateKey: Uint8Array): Buffer {
  const recovered = secp256k1.sign(keccak_256(output), privateKey, { prehash: false, format: "recovered" });
  // The library puts the recovery id first; Ethereum puts it last.
  return Buffer.concat([recovered.subarray(1), recovered.subarray(0, 1)]);
}

/** The address that produced `signature` over `output`; throws when the signature is malformed. */
export function recoverSigner(output: Uint8Array, signature: Uint8Array): string {
  if (signature.length !== 65)
    throw new Error(`signature: expected 65 bytes (r || s || v), got ${signature.length}`);
  const v = signature[64]! >= 27 ? signature[64]! - 27 : signature[64]!;
  const recovered = Buffer.concat([Buffer.of(v), signature.subarray(0, 64)]);
  const publicKey = secp256k1.recoverPublicKey(recovered, keccak_256(output), { prehash: false });
  return addressOfPublicKey(secp256k1.Point.fromBytes(publicKey).toBytes(false));
}

export function operatorSigner(privateKey: Uint8Array): OperatorSigner {
  return { address: addressOfPrivateKey(privateKey), sign: (output) => signOutput(output, privateKey) };
}
