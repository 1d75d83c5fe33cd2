// An EIP-2335 keystore for a BN254 test key, laid out as Hourglass's keygen writes one (pbkdf2 with few
// iterations here, to keep tests fast).
import { createCipheriv, createHash, pbkdf2Sync, randomBytes } from "node:crypto";

export function bn254KeystoreJson(secretKey: bigint, password: string): string {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password.normalize("NFKD"), "utf8"), salt, 16, 32, "sha256");
  const secret = Buffer.from(secretKey.toString(16).padStart(64, "0"), "hex");
  const cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), iv);
  const message = Buffer.concat([cipher.update(secret), cipher.final()]);
  return JSON.stringify({
    crypto: {
      kdf: {
        function: "pbkdf2",
        params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: salt.toString("hex") },
        message: "",
      },
      checksum: {
        function: "sha256",
        params: {},
        message: createHash("sha256").update(key.subarray(16, 32)).update(message).digest("hex"),
      },
      cipher: {
        function: "aes-128-ctr",
        params: { iv: iv.toString("hex") },
        message: message.toString("hex"),
      },
    },
    pubkey: "",
    path: "m/1/0",
    uuid: "00000000-0000-4000-8000-000000000000",
    version: 4,
    curveType: "bn254",
  });
}
