// secp256k1 over a 32-byte hash as crypto-libs' ecdsa package does it: 65 bytes r ‖ s ‖ v with v = 27/28 when
// signing, v = 0/1 or 27/28 accepted when recovering (geth's Ecrecover after the adjustment crypto-libs makes).
import { addressOfPublicKey } from "../operator-signer.ts";
import { secp256k1 } from "../secp256k1.ts";

/** A 65-byte r ‖ s ‖ v secp256k1 signature of a 32-byte hash, v as 27/28 as crypto-libs makes it. */
export function signHash(hash: Uint8Array, privateKey: Uint8Array): Buffer {
  const encoded = Buffer.allocUnsafe(65);
  encoded[64] = secp256k1.signRecoverable(hash, privateKey, encoded.subarray(0, 64)) + 27;
  return encoded;
}

/** The address (lowercase) whose key made `signature` over `hash`; throws saying why when none does. */
export function recoverAddress(hash: Uint8Array, signature: Uint8Array): string {
  if (signature.length !== 65) throw new Error(`expected 65 bytes (r ‖ s ‖ v), got ${signature.length}`);
  const raw = signature[64]!;
  const v = raw >= 27 ? raw - 27 : raw;
  if (v !== 0 && v !== 1) throw new Error(`v must be 0, 1, 27 or 28, got ${raw}`);
  const rs = signature.subarray(0, 64);
  let publicKey: Uint8Array | null = null;
  try {
    publicKey = secp256k1.recover(hash, rs, v as 0 | 1);
  } catch (error) {
    throw new Error(`r or s is out of range (${(error as Error).message})`);
  }
  if (!publicKey) throw new Error("no public key recovers from it");
  return addressOfPublicKey(publicKey);
}
