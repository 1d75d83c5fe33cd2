// Web3 Secret Storage keystores for tests, written with node:crypto and an independent Keccak (@noble/hashes), so
// that reading them back checks the reader against another implementation of the format.
import { createCipheriv, pbkdf2Sync, randomBytes, scryptSync } from "node:crypto";
import { keccak_256 } from "@noble/hashes/sha3.js";

/** `key` encrypted under `password`, with cheap KDF parameters. */
export function web3Keystore(
  key: Uint8Array,
  password: string,
  kdf: "scrypt" | "pbkdf2",
  crypto = "crypto",
): string {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived =
    kdf === "scrypt"
      ? scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 })
      : pbkdf2Sync(password, salt, 1000, 32, "sha256");
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  const mac = Buffer.from(keccak_256(Buffer.concat([derived.subarray(16, 32), ciphertext])));
  const kdfparams =
    kdf === "scrypt"
      ? { dklen: 32, n: 1024, r: 8, p: 1, salt: salt.toString("hex") }
      : { dklen: 32, c: 1000, prf: "hmac-sha256", salt: salt.toString("hex") };
  return JSON.stringify({
    version: 3,
    id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
    [crypto]: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: iv.toString("hex") },
      ciphertext: ciphertext.toString("hex"),
      kdf,
      kdfparams,
      mac: mac.toString("hex"),
    },
  });
}
