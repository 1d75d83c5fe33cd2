// Web3 Secret Storage (keystore v3), the encrypted ECDSA key file of go-ethereum's keystore.DecryptKey, which is
// how Hourglass's tools read an ECDSA keystore: scrypt or PBKDF2-HMAC-SHA256 derives a key from the password, its
// second half with the ciphertext must hash (keccak-256) to the MAC, its first half decrypts (AES-128-CTR).
// Key derivation runs in Node's thread pool (node:crypto), so the event loop is not held for the seconds scrypt takes.
import { createDecipheriv, pbkdf2, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { createKeccak } from "hash-wasm";

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** Bounds on what a keystore may ask of this machine: 1 GiB of scrypt memory, 10 million PBKDF2 rounds. */
const MAX_SCRYPT_BYTES = 1024 * 1024 * 1024;
const MAX_PBKDF2_ROUNDS = 10_000_000;

/** A keystore's key derivation and its parameters: scrypt or PBKDF2. */
export type Web3Kdf =
  | { kdf: "scrypt"; n: number; r: number; p: number; dklen: number; salt: Buffer }
  | { kdf: "pbkdf2"; c: number; dklen: number; salt: Buffer };

/** A keystore v3 file's crypto section, decoded: what decrypting the key takes. */
export interface Web3Keystore {
  kdf: Web3Kdf;
  iv: Buffer;
  ciphertext: Buffer;
  mac: Buffer;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

class KeystoreFormatError extends Error {}

function hexField(object: Json, key: string, where: string): Buffer {
  const value = object[key];
  if (typeof value !== "string" || !HEX.test(value))
    throw new KeystoreFormatError(`${where}.${key} must be hex`);
  return Buffer.from(value.replace(/^0x/, ""), "hex");
}

function positiveInteger(object: Json, key: string, where: string): number {
  const value = object[key];
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new KeystoreFormatError(`${where}.${key} must be a positive integer`);
  }
  return value as number;
}

function kdfOf(crypto: Json): Web3Kdf {
  const params = crypto.kdfparams;
  if (!isObject(params)) throw new KeystoreFormatError("crypto.kdfparams is missing");
  const dklen = positiveInteger(params, "dklen", "kdfparams");
  if (dklen < 32) throw new KeystoreFormatError("kdfparams.dklen must be at least 32");
  const salt = hexField(params, "salt", "kdfparams");
  if (crypto.kdf === "scrypt") {
    const n = positiveInteger(params, "n", "kdfparams");
    const r = positiveInteger(params, "r", "kdfparams");
    const p = positiveInteger(params, "p", "kdfparams");
    if ((n & (n - 1)) !== 0 || n < 2) throw new KeystoreFormatError("kdfparams.n must be a power of two");
    if (128 * n * r * p > MAX_SCRYPT_BYTES) {
      throw new KeystoreFormatError("kdfparams n, r and p ask for more than 1 GiB of memory");
    }
    return { kdf: "scrypt", n, r, p, dklen, salt };
  }
  if (crypto.kdf === "pbkdf2") {
    if (params.prf !== "hmac-sha256") throw new KeystoreFormatError("kdfparams.prf must be hmac-sha256");
    const c = positiveInteger(params, "c", "kdfparams");
    if (c > MAX_PBKDF2_ROUNDS) throw new KeystoreFormatError(`kdfparams.c is above ${MAX_PBKDF2_ROUNDS}`);
    return { kdf: "pbkdf2", c, dklen, salt };
  }
  throw new KeystoreFormatError(`crypto.kdf must be scrypt or pbkdf2 (got ${JSON.stringify(crypto.kdf)})`);
}

/** The keystore in `text`, or throws saying what is wrong with it. */
export function parseWeb3Keystore(text: string): Web3Keystore {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeystoreFormatError("is not JSON: expected a Web3 Secret Storage (version 3) keystore");
  }
  if (!isObject(json)) throw new KeystoreFormatError("must be a JSON object");
  if (json.version !== 3) {
    const eip2335 = isObject(json.crypto) && isObject(json.crypto.kdf);
    throw new KeystoreFormatError(
      eip2335
        ? "is an EIP-2335 keystore (a BLS key's format); an ECDSA key takes a Web3 Secret Storage (version 3) keystore"
        : `must be a Web3 Secret Storage keystore of version 3 (got version ${JSON.stringify(json.version)})`,
    );
  }
  // go-ethereum accepts both spellings.
  const crypto = json.crypto ?? json.Crypto;
  if (!isObject(crypto)) throw new KeystoreFormatError("crypto is missing");
  if (crypto.cipher !== "aes-128-ctr") throw new KeystoreFormatError("crypto.cipher must be aes-128-ctr");
  const cipherparams = isObject(crypto.cipherparams) ? crypto.cipherparams : {};
  const iv = hexField(cipherparams, "iv", "cipherparams");
  if (iv.length !== 16) throw new KeystoreFormatError("cipherparams.iv must be 16 bytes");
  return {
    kdf: kdfOf(crypto),
    iv,
    ciphertext: hexField(crypto, "ciphertext", "crypto"),
    mac: hexField(crypto, "mac", "crypto"),
  };
}

/** What is wrong with `text` as a keystore, for the config's checks; undefined when it is one. */
export function web3KeystoreProblem(text: string): string | undefined {
  try {
    parseWeb3Keystore(text);
    return undefined;
  } catch (error) {
    if (error instanceof KeystoreFormatError) return error.message;
    throw error;
  }
}

async function derivedKey(kdf: Web3Kdf, password: string): Promise<Buffer> {
  return kdf.kdf === "scrypt"
    ? scryptAsync(password, kdf.salt, kdf.dklen, {
        N: kdf.n,
        r: kdf.r,
        p: kdf.p,
        maxmem: 128 * kdf.n * kdf.r * kdf.p + 1024 * 1024,
      })
    : pbkdf2Async(password, kdf.salt, kdf.c, kdf.dklen, "sha256");
}

/** The private key; throws `wrong password` when the MAC does not match. */
export async function decryptWeb3Keystore(keystore: Web3Keystore, password: string): Promise<Uint8Array> {
  const key = await derivedKey(keystore.kdf, password);
  const keccak = await createKeccak(256);
  keccak.update(key.subarray(16, 32));
  keccak.update(keystore.ciphertext);
  const mac = Buffer.from(keccak.digest("binary"));
  if (mac.length !== keystore.mac.length || !timingSafeEqual(mac, keystore.mac)) {
    throw new Error("wrong password: the keystore's MAC does not match the key derived from it");
  }
  const decipher = createDecipheriv("aes-128-ctr", key.subarray(0, 16), keystore.iv);
  return new Uint8Array(Buffer.concat([decipher.update(keystore.ciphertext), decipher.final()]));
}
