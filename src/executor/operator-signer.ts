// How the executor signs results, as Hourglass's ECDSA operators do: secp256k1 over keccak256(output), encoded
// Ethereum-style as r || s || v (65 bytes, v = recovery id 0 or 1), so that the signer's address can be
// recovered from (output, signature) alone and compared with the operator's registered address.
//
// Signing runs on the executor's event loop for every task, so both steps are compiled code (libsecp256k1, see
// secp256k1.ts, and a WebAssembly Keccak): several times faster than pure JavaScript, and Node's OpenSSL has
// neither Keccak-256 nor recoverable signatures. Signatures are deterministic (RFC 6979).
import { createKeccak } from "hash-wasm";
import { secp256k1 } from "./secp256k1.ts";

// One hasher, used synchronously from init to digest, so that calls cannot interleave.
const keccak = await createKeccak(256);

/** Ethereum's Keccak-256 (not SHA3-256) of some bytes, given in one or more parts so that callers need not
 * copy them into one buffer first. */
export function keccak256(...parts: Uint8Array[]): Uint8Array {
  keccak.init();
  for (const part of parts) keccak.update(part);
  return keccak.digest("binary");
}

/** The operator's ECDSA key as the executor holds it: its address and a signature over an output. */
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
  if (!secp256k1.isPrivateKey(key)) {
    throw new Error("not a valid secp256k1 private key (zero, or not below the curve order)");
  }
  return key;
}

/** The Ethereum address (lowercase) of an uncompressed secp256k1 public key. */
export function addressOfPublicKey(uncompressed: Uint8Array): string {
  // The address is the last 20 bytes of keccak256 over the 64-byte X || Y, without the 0x04 prefix.
  return `0x${Buffer.from(keccak256(uncompressed.subarray(1)).subarray(12)).toString("hex")}`;
}

/** The Ethereum address (lowercase) of a secp256k1 private key; throws when it is not one. */
export function addressOfPrivateKey(privateKey: Uint8Array): string {
  const publicKey = secp256k1.publicKeyOf(privateKey);
  if (!publicKey) throw new Error("not a valid secp256k1 private key");
  return addressOfPublicKey(publicKey);
}

/** A 65-byte r ‖ s ‖ v signature (v 0 or 1) over keccak256(output), as recoverSigner checks it. */
export function signOutput(output: Uint8Array, privateKey: Uint8Array): Buffer {
  const encoded = Buffer.allocUnsafe(65);
  encoded[64] = secp256k1.signRecoverable(keccak256(output), privateKey, encoded.subarray(0, 64));
  return encoded;
}

/** The address that produced `signature` over `output`; throws when the signature is malformed. */
export function recoverSigner(output: Uint8Array, signature: Uint8Array): string {
  if (signature.length !== 65)
    throw new Error(`signature: expected 65 bytes (r || s || v), got ${signature.length}`);
  const v = signature[64]! >= 27 ? signature[64]! - 27 : signature[64]!;
  if (v !== 0 && v !== 1) throw new Error(`signature: v must be 0, 1, 27 or 28, got ${signature[64]}`);
  const publicKey = secp256k1.recover(keccak256(output), signature.subarray(0, 64), v);
  if (!publicKey) throw new Error("signature: no public key recovers from it");
  return addressOfPublicKey(publicKey);
}

/** The OperatorSigner of a private key. */
export function operatorSigner(privateKey: Uint8Array): OperatorSigner {
  return { address: addressOfPrivateKey(privateKey), sign: (output) => signOutput(output, privateKey) };
}
