// Web3 Secret Storage keystores as go-ethereum writes them, read back.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decryptWeb3Keystore,
  parseWeb3Keystore,
  web3KeystoreProblem,
} from "../../../src/api/web3-keystore.ts";
import { web3Keystore } from "../../support/web3-keystores.ts";

const KEY = Buffer.from("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", "hex");
const keystore = (password: string, kdf: "scrypt" | "pbkdf2", crypto?: string) =>
  web3Keystore(KEY, password, kdf, crypto);

test("scrypt and PBKDF2 keystores decrypt to the key", async () => {
  for (const kdf of ["scrypt", "pbkdf2"] as const) {
    const key = await decryptWeb3Keystore(parseWeb3Keystore(keystore("hunter2", kdf)), "hunter2");
    assert.equal(Buffer.from(key).toString("hex"), KEY.toString("hex"), kdf);
  }
  // go-ethereum also reads the capitalised "Crypto".
  const capital = await decryptWeb3Keystore(parseWeb3Keystore(keystore("", "scrypt", "Crypto")), "");
  assert.equal(Buffer.from(capital).toString("hex"), KEY.toString("hex"));
});

test("a wrong password is refused by the MAC, not turned into another key", async () => {
  await assert.rejects(
    decryptWeb3Keystore(parseWeb3Keystore(keystore("right", "scrypt")), "wrong"),
    /^Error: wrong password: the keystore's MAC does not match/,
  );
});

test("what is not a version-3 keystore is said so, an EIP-2335 one by name", () => {
  const eip2335 = JSON.stringify({
    version: 4,
    crypto: { kdf: { function: "scrypt" }, checksum: {}, cipher: {} },
  });
  assert.match(web3KeystoreProblem(eip2335)!, /^is an EIP-2335 keystore \(a BLS key's format\)/);
  assert.equal(
    web3KeystoreProblem("{not json"),
    "is not JSON: expected a Web3 Secret Storage (version 3) keystore",
  );
  assert.equal(web3KeystoreProblem(keystore("", "scrypt")), undefined);
  const cipher = JSON.parse(keystore("", "scrypt"));
  cipher.crypto.cipher = "aes-256-gcm";
  assert.equal(web3KeystoreProblem(JSON.stringify(cipher)), "crypto.cipher must be aes-128-ctr");
});

test("a keystore may not ask for unbounded work: scrypt memory and PBKDF2 rounds are capped", () => {
  const scrypt = JSON.parse(keystore("", "scrypt"));
  scrypt.crypto.kdfparams.n = 2 ** 24;
  assert.equal(
    web3KeystoreProblem(JSON.stringify(scrypt)),
    "kdfparams n, r and p ask for more than 1 GiB of memory",
  );
  const pbkdf2 = JSON.parse(keystore("", "pbkdf2"));
  pbkdf2.crypto.kdfparams.c = 1e9;
  assert.equal(web3KeystoreProblem(JSON.stringify(pbkdf2)), "kdfparams.c is above 10000000");
});
