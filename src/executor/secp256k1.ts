// The secp256k1 operations the executor makes on every task (the aggregator's signature recovered, the result
// signed twice), from libsecp256k1's native binding when it loads: on this event loop it signs in a third and
// recovers in a fifth of the time the WebAssembly build takes. When it cannot load (no prebuilt binary for the
// platform), the WebAssembly build of the same library does the work. Both are libsecp256k1 with RFC 6979 nonces,
// so the bytes are the same either way.
import { createRequire } from "node:module";

/** The native binding's part that is used here (secp256k1's lib/index.js API). */
export interface NativeSecp256k1 {
  privateKeyVerify(key: Uint8Array): boolean;
  publicKeyCreate(key: Uint8Array, compressed: false): Uint8Array;
  ecdsaSign(hash: Uint8Array, key: Uint8Array, options: object, output: Uint8Array): { recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, hash: Uint8Array, compressed: false): Uint8Array;
}

/** secp256k1 as the signers use it: keys, recoverable signatures over a 32-byte hash, public key recovery. */
export interface Secp256k1 {
  /** Which build does the work. */
  backend: "native" | "wasm";
  /** Why the native binding did not load, when it did not. */
  fallbackReason?: string;
  /** Whether `key` is a private key (32 bytes, not zero, below the curve order). */
  isPrivateKey(key: Uint8Array): boolean;
  /** The uncompressed (65-byte) public key of a private key; undefined when it is not one. */
  publicKeyOf(key: Uint8Array): Uint8Array | undefined;
  /** Writes r ‖ s (64 bytes) into `rs` and returns the recovery id. */
  signRecoverable(hash: Uint8Array, key: Uint8Array, rs: Uint8Array): 0 | 1;
  /** The uncompressed public key that made r ‖ s over `hash` with recovery id `v`: null when none did; throws when
   * r or s is not below the curve order (the WebAssembly build also throws for an r that is no point's x, or a
   * zero r or s). */
  recover(hash: Uint8Array, rs: Uint8Array, v: 0 | 1): Uint8Array | null;
}

const require = createRequire(import.meta.url);

function nativeBackend(native: NativeSecp256k1): Secp256k1 {
  // The binding throws for a key of another length, where the WebAssembly build answers false.
  const isPrivateKey = (key: Uint8Array) => key.length === 32 && native.privateKeyVerify(key);
  return {
    backend: "native",
    isPrivateKey,
    publicKeyOf: (key) => (isPrivateKey(key) ? native.publicKeyCreate(key, false) : undefined),
    signRecoverable: (hash, key, rs) => native.ecdsaSign(hash, key, {}, rs).recid as 0 | 1,
    recover(hash, rs, v) {
      try {
        return native.ecdsaRecover(rs, v, hash, false);
      } catch (error) {
        // The binding throws for both; only a parse failure means r or s is out of range.
        if (/could not be parsed/.test((error as Error).message)) throw error;
        return null;
      }
    },
  };
}

async function wasmBackend(fallbackReason: string): Promise<Secp256k1> {
  const wasm = await import("tiny-secp256k1");
  return {
    backend: "wasm",
    fallbackReason,
    isPrivateKey: (key) => wasm.isPrivate(key),
    publicKeyOf: (key) => (wasm.isPrivate(key) ? (wasm.pointFromScalar(key, false) ?? undefined) : undefined),
    signRecoverable(hash, key, rs) {
      const { signature, recoveryId } = wasm.signRecoverable(hash, key);
      rs.set(signature);
      return recoveryId as 0 | 1;
    },
    recover: (hash, rs, v) => wasm.recover(hash, rs, v, false),
  };
}

/** The native binding if `loadNative` gives it, else the WebAssembly build, saying why. */
export async function loadSecp256k1(
  loadNative: () => NativeSecp256k1 = () => require("secp256k1/bindings"),
): Promise<Secp256k1> {
  try {
    return nativeBackend(loadNative());
  } catch (error) {
    return wasmBackend((error as Error).message.split("\n")[0]!);
  }
}

/** The process's secp256k1, loaded once. */
export const secp256k1 = await loadSecp256k1();
