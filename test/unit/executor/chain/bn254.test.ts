import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  bn254PublicKeys,
  bn254Sign,
  bn254Verify,
  g1FromBytes,
  g1ToBytes,
  g2FromSolidity,
  g2ToSolidity,
  hashToG1,
  mapToG1Svdw,
  solidityHashToG1,
} from "../../../../src/executor/chain/bn254.ts";

// RFC 9380-style vectors for BN254 G1 (suite BN254G1_XMD:SHA-256_SVDW), as gnark-crypto publishes them
// (ecc/bn254/hash_vectors_test.go): produced by another implementation, so they check ours independently.
const RO_DST = "QUUX-V01-CS02-with-BN254G1_XMD:SHA-256_SVDW_RO_";
const RO = [
  {
    msg: "",
    x: 0xa976ab906170db1f9638d376514dbf8c42aef256a54bbd48521f20749e59e86n,
    y: 0x2925ead66b9e68bfc309b014398640ab55f6619ab59bc1fab2210ad4c4d53d5n,
  },
  {
    msg: "abc",
    x: 0x23f717bee89b1003957139f193e6be7da1df5f1374b26a4643b0378b5baf53d1n,
    y: 0x4142f826b71ee574452dbc47e05bc3e1a647478403a7ba38b7b93948f4e151dn,
  },
  {
    msg: "abcdef0123456789",
    x: 0x187dbf1c3c89aceceef254d6548d7163fdfa43084145f92c4c91c85c21442d4an,
    y: 0xabd99d5b0000910b56058f9cc3b0ab0a22d47cf27615f588924fac1e5c63b4dn,
  },
];
// Single-element maps (the NU suite's u and Q).
const MAP = [
  {
    u: 0xcb81538a98a2e3580076eed495256611813f6dae9e16d3d4f8de7af0e9833e1n,
    x: 0x1bb8810e2ceaf04786d4efd216fc2820ddd9363712efc736ada11049d8af5925n,
    y: 0x1efbf8d54c60d865cce08437668ea30f5bf90d287dbd9b5af31da852915e8f11n,
  },
  {
    u: 0xba35e127276e9000b33011860904ddee28f1d48ddd3577e2a797ef4a5e62319n,
    x: 0xda4a96147df1f35b0f820bd35c6fac3b80e8e320de7c536b1e054667b22c332n,
    y: 0x189bd3fbffe4c8740d6543754d95c790e44cd2d162858e3b733d2b8387983bb7n,
  },
];

describe("BN254 signatures", () => {
  it("maps field elements to G1 as the published SvdW vectors say", () => {
    for (const { u, x, y } of MAP) assert.deepEqual(mapToG1Svdw(u).toAffine(), { x, y });
  });

  it("hashes messages to G1 as the published hash_to_curve vectors say", () => {
    for (const { msg, x, y } of RO) {
      assert.deepEqual(hashToG1(Buffer.from(msg), RO_DST).toAffine(), { x, y }, `message "${msg}"`);
    }
  });

  it("hashes a digest the Solidity way: the first x from digest mod p with x³ + 3 a square", () => {
    const digest = keccak_256(Buffer.from("certificate"));
    const { x, y } = solidityHashToG1(digest).toAffine();
    const p = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
    const start = BigInt(`0x${Buffer.from(digest).toString("hex")}`) % p;
    assert.ok(x >= start && x - start < 100n);
    assert.equal((y * y) % p, (x ** 3n + 3n) % p);
  });

  it("signs so that the pairing check holds for the signer's key and fails for another", () => {
    const key = 0x1234567890abcdefn;
    const { g2 } = bn254PublicKeys(key);
    const hash = hashToG1(keccak_256(Buffer.from("auth bytes")));
    const signature = g1FromBytes(bn254Sign(key, hash));
    assert.equal(bn254Verify(signature, hash, g2), true);
    assert.equal(bn254Verify(signature, hash, bn254PublicKeys(key + 1n).g2), false);
    assert.equal(bn254Verify(signature, solidityHashToG1(keccak_256(Buffer.from("x"))), g2), false);
  });

  it("encodes points as X ‖ Y and keys with the imaginary part first, both ways", () => {
    const { g1, g2 } = bn254PublicKeys(7n);
    assert.ok(g1FromBytes(g1ToBytes(g1)).equals(g1));
    const solidity = g2ToSolidity(g2);
    assert.equal(solidity.X[1], g2.toAffine().x.c0);
    assert.ok(g2FromSolidity(solidity).equals(g2));
    assert.throws(() => g1FromBytes(Buffer.alloc(63)), /64 bytes/);
    const offCurve = Buffer.alloc(64);
    offCurve[31] = 1;
    offCurve[63] = 1;
    assert.throws(() => g1FromBytes(offCurve));
  });
});
