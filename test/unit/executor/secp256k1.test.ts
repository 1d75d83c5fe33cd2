import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { secp256k1 as noble } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { loadSecp256k1 } from "../../../src/executor/secp256k1.ts";

const native = await loadSecp256k1();
const wasm = await loadSecp256k1(() => {
  throw new Error("No native build was found for platform=test\n    at load (node-gyp-build)");
});
const N = noble.Point.CURVE().n;
const scalar = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex");

describe("secp256k1 backends", () => {
  it("loads the native binding here, and falls back to the WebAssembly build saying why", () => {
    assert.equal(native.backend, "native");
    assert.equal(native.fallbackReason, undefined);
    assert.equal(wasm.backend, "wasm");
    assert.equal(wasm.fallbackReason, "No native build was found for platform=test");
  });

  it("sign, recover and derive the same bytes as each other and as an independent implementation", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => noble.utils.isValidSecretKey(k)),
        (hash, key) => {
          const expected = noble.sign(hash, key, { prehash: false, format: "recovered" });
          const publicKey = noble.getPublicKey(key, false);
          for (const backend of [native, wasm]) {
            const rs = new Uint8Array(64);
            const v = backend.signRecoverable(hash, key, rs);
            assert.deepEqual([v, ...rs], [...expected], backend.backend);
            assert.deepEqual(backend.recover(hash, rs, v), publicKey, backend.backend);
            assert.deepEqual(backend.publicKeyOf(key), publicKey, backend.backend);
            assert.equal(backend.isPrivateKey(key), true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuse what is not a private key", () => {
    for (const backend of [native, wasm]) {
      for (const key of [scalar(0n), scalar(N), Buffer.alloc(31, 1)]) {
        assert.equal(backend.isPrivateKey(key), false, `${backend.backend} ${key.toString("hex")}`);
        assert.equal(backend.publicKeyOf(key), undefined, backend.backend);
      }
    }
  });

  it("throw for r or s out of range; for an r no point has as its x, native answers null, wasm throws", () => {
    const hash = Buffer.alloc(32, 7);
    // The least r in range that no point of the curve has as its x coordinate.
    let r = 1n;
    while (liftsToPoint(r)) r++;
    for (const backend of [native, wasm]) {
      assert.throws(() => backend.recover(hash, Buffer.concat([scalar(N), scalar(1n)]), 0), backend.backend);
    }
    const offCurve = Buffer.concat([scalar(r), scalar(1n)]);
    assert.equal(native.recover(hash, offCurve, 0), null);
    assert.throws(() => wasm.recover(hash, offCurve, 0), /Expected Signature/);
  });
});

function liftsToPoint(x: bigint): boolean {
  try {
    noble.Point.fromBytes(Buffer.concat([Buffer.from([2]), scalar(x)]));
    return true;
  } catch {
    return false;
  }
}
