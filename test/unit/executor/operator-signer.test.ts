import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import {
  addressOfPrivateKey,
  operatorSigner,
  parsePrivateKeyHex,
  recoverSigner,
  signOutput,
} from "../../../src/executor/operator-signer.ts";

// A published Ethereum test account: this private key belongs to address 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23.
const KEY_HEX = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";

describe("operator signer", () => {
  it("derives the Ethereum address of a key", () => {
    assert.equal(addressOfPrivateKey(parsePrivateKeyHex(KEY_HEX)), ADDRESS);
  });

  it("accepts the key with or without 0x and with a trailing newline", () => {
    const a = parsePrivateKeyHex(KEY_HEX);
    assert.deepEqual(parsePrivateKeyHex(`${KEY_HEX.slice(2)}\n`), a);
  });

  it("refuses what is not a private key", () => {
    assert.throws(() => parsePrivateKeyHex("0x1234"), /64 hex digits/);
    assert.throws(() => parsePrivateKeyHex("0".repeat(64)), /not a valid secp256k1 private key/);
    assert.throws(() => parsePrivateKeyHex("f".repeat(64)), /not a valid secp256k1 private key/);
  });

  it("signs r || s || v so that the operator's address is recovered from the output", () => {
    const signer = operatorSigner(parsePrivateKeyHex(KEY_HEX));
    const output = Buffer.from("the result of task 7");
    const signature = signer.sign(output);
    assert.equal(signature.length, 65);
    assert.ok(signature[64] === 0 || signature[64] === 1);
    assert.equal(recoverSigner(output, signature), ADDRESS);
    // Ethereum tools often write v as 27/28; both read the same.
    const v27 = Buffer.from(signature);
    v27[64] = v27[64]! + 27;
    assert.equal(recoverSigner(output, v27), ADDRESS);
  });

  it("binds the signature to the output", () => {
    const key = parsePrivateKeyHex(KEY_HEX);
    const signature = signOutput(Buffer.from("a"), key);
    assert.notEqual(recoverSigner(Buffer.from("b"), signature), ADDRESS);
    assert.throws(() => recoverSigner(Buffer.from("a"), signature.subarray(0, 64)), /expected 65 bytes/);
    const v5 = Buffer.from(signature);
    v5[64] = 5;
    assert.throws(() => recoverSigner(Buffer.from("a"), v5), /v must be 0, 1, 27 or 28, got 5/);
  });

  // A second, independent implementation (pure JavaScript) must produce the same bytes: RFC 6979 makes the
  // signature a function of key and message, so any difference in hashing, encoding or v shows up here.
  it("signs exactly as an independent secp256k1 + keccak-256 implementation does", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k)),
        (output, key) => {
          const recovered = secp256k1.sign(keccak_256(output), key, { prehash: false, format: "recovered" });
          const expected = Buffer.concat([recovered.subarray(1), recovered.subarray(0, 1)]);
          assert.deepEqual(signOutput(output, key), expected);
          const publicKey = secp256k1.getPublicKey(key, false).subarray(1);
          const address = `0x${Buffer.from(keccak_256(publicKey).subarray(12)).toString("hex")}`;
          assert.equal(addressOfPrivateKey(key), address);
        },
      ),
      { numRuns: 200 },
    );
  });
});
