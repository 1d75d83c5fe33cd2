import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decryptBn254Keystore } from "../../../../src/executor/chain/bls-keystore.ts";

// The test vectors of EIP-2335 (https://eips.ethereum.org/EIPS/eip-2335#test-cases): the format Hourglass's
// keystores use, with a secret below the BN254 group order.
const PASSWORD = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
const SECRET = 0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26fn;
const SALT = "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3";
const IV = "264daa3f303d7259501c93d997d84fe6";
function keystore(kdf: object, checksum: string, cipher: string): string {
  return JSON.stringify({
    crypto: {
      kdf: { ...kdf, message: "" },
      checksum: { function: "sha256", params: {}, message: checksum },
      cipher: { function: "aes-128-ctr", params: { iv: IV }, message: cipher },
    },
    pubkey:
      "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
    path: "m/12381/60/3141592653/589793238",
    uuid: "1d85ae20-35c5-4611-98e8-aa14a633906f",
    version: 4,
  });
}
const PBKDF2 = keystore(
  { function: "pbkdf2", params: { dklen: 32, c: 262144, prf: "hmac-sha256", salt: SALT } },
  "8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1",
  "cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad",
);
const SCRYPT = keystore(
  { function: "scrypt", params: { dklen: 32, n: 262144, p: 1, r: 8, salt: SALT } },
  "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484",
  "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f",
);

describe("BLS keystore", () => {
  it("opens the EIP-2335 pbkdf2 and scrypt vectors with their password", () => {
    assert.equal(decryptBn254Keystore(PBKDF2, PASSWORD), SECRET);
    assert.equal(decryptBn254Keystore(SCRYPT, PASSWORD), SECRET);
  });

  it("says when the password is wrong, and names the field that is not as expected", () => {
    assert.throws(() => decryptBn254Keystore(PBKDF2, "testpassword"), /password does not open/);
    assert.throws(() => decryptBn254Keystore("{", PASSWORD), /not JSON/);
    assert.throws(
      () => decryptBn254Keystore(PBKDF2.replace('"pbkdf2"', '"argon2"'), PASSWORD),
      /crypto\.kdf\.function/,
    );
    assert.throws(
      () => decryptBn254Keystore(PBKDF2.replace("aes-128-ctr", "aes-256-gcm"), PASSWORD),
      /crypto\.cipher\.function/,
    );
    assert.throws(
      () => decryptBn254Keystore(SCRYPT.replace('"n":262144', '"n":1073741824'), PASSWORD),
      /more than 1 GiB/,
    );
  });
});
