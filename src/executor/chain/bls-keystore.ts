// The operator's BN254 key from an EIP-2335 keystore, as Hourglass stores it (crypto-libs' keystore package):
// kdf scrypt or pbkdf2 (hmac-sha256), checksum sha256(dk[16..32] ‖ ciphertext), cipher aes-128-ctr with
// dk[0..16]; the plaintext is the secret key's big-endian bytes. The password is NFKD-normalised and stripped of
// control codes first, as the EIP says.
import { createDecipheriv, createHash, pbkdf2Sync, scryptSync } from "node:crypto";
import { bn254SecretKey } from "./bn254.ts";

/** scrypt's memory is 128·N·r bytes; more than this is refused rather than tried. */
const MAX_SCRYPT_BYTES = 1 << 30;
const MAX_PBKDF2_ITERATIONS = 10_000_000;

interface Module {
  function: string;
  params: Record<string, unknown>;
  message: string;
}

function normalisedPassword(password: string): Buffer {
  const kept = [...password.normalize("NFKD")].filter((c) => {
    const code = c.codePointAt(0)!;
    return !(code <= 0x1f || (code >= 0x7f && code <= 0x9f));
  });
  return Buffer.from(kept.join(""), "utf8");
}

function hexParam(module: Module, name: string, where: string): Buffer {
  const value = module.params[name];
  if (typeof value !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) {
    throw new Error(`${where}.params.${name}: expected hex, got ${JSON.stringify(value)}`);
  }
  return Buffer.from(value, "hex");
}

function intParam(module: Module, name: string, where: string): number {
  const value = module.params[name];
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    throw new Error(`${where}.params.${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function derivedKey(kdf: Module, password: Buffer): Buffer {
  const salt = hexParam(kdf, "salt", "crypto.kdf");
  const dklen = intParam(kdf, "dklen", "crypto.kdf");
  if (dklen < 32) throw new Error(`crypto.kdf.params.dklen: at least 32 is needed, got ${dklen}`);
  if (kdf.function === "scrypt") {
    const N = intParam(kdf, "n", "crypto.kdf");
    const r = intParam(kdf, "r", "crypto.kdf");
    const p = intParam(kdf, "p", "crypto.kdf");
    if (128 * N * r > MAX_SCRYPT_BYTES) {
      throw new Error(`crypto.kdf.params: scrypt n=${N} r=${r} needs more than 1 GiB of memory`);
    }
    return scryptSync(password, salt, dklen, { N, r, p, maxmem: 2 * MAX_SCRYPT_BYTES });
  }
  if (kdf.function === "pbkdf2") {
    if (kdf.params.prf !== "hmac-sha256") {
      throw new Error(
        `crypto.kdf.params.prf: only hmac-sha256 is supported, got ${JSON.stringify(kdf.params.prf)}`,
      );
    }
    const c = intParam(kdf, "c", "crypto.kdf");
    if (c > MAX_PBKDF2_ITERATIONS) throw new Error(`crypto.kdf.params.c: ${c} iterations is too many`);
    return pbkdf2Sync(password, salt, c, dklen, "sha256");
  }
  throw new Error(`crypto.kdf.function: expected scrypt or pbkdf2, got ${JSON.stringify(kdf.function)}`);
}

function moduleAt(crypto: Record<string, unknown>, name: string): Module {
  const m = crypto[name] as Partial<Module> | undefined;
  if (!m || typeof m.function !== "string" || typeof m.message !== "string" || typeof m.params !== "object") {
    throw new Error(`crypto.${name}: expected { function, params, message }`);
  }
  return m as Module;
}

/** The BN254 secret key of the keystore's JSON text; errors name the field, or say the password is wrong. */
export function decryptBn254Keystore(json: string, password: string): bigint {
  let parsed: { crypto?: Record<string, unknown> };
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  if (!parsed?.crypto || typeof parsed.crypto !== "object") throw new Error("crypto: missing");
  const kdf = moduleAt(parsed.crypto, "kdf");
  const checksum = moduleAt(parsed.crypto, "checksum");
  const cipher = moduleAt(parsed.crypto, "cipher");
  if (checksum.function !== "sha256") {
    throw new Error(`crypto.checksum.function: expected sha256, got ${JSON.stringify(checksum.function)}`);
  }
  if (cipher.function !== "aes-128-ctr") {
    throw new Error(`crypto.cipher.function: expected aes-128-ctr, got ${JSON.stringify(cipher.function)}`);
  }
  const ciphertext = Buffer.from(cipher.message, "hex");
  const key = derivedKey(kdf, normalisedPassword(password));
  const sum = createHash("sha256").update(key.subarray(16, 32)).update(ciphertext).digest("hex");
  if (sum !== checksum.message.toLowerCase()) {
    throw new Error("the password does not open this keystore (checksum mismatch)");
  }
  const iv = hexParam(cipher, "iv", "crypto.cipher");
  const decipher = createDecipheriv("aes-128-ctr", key.subarray(0, 16), iv);
  return bn254SecretKey(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
}
