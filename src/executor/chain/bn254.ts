// BN254 BLS signatures as Hourglass's crypto-libs makes and checks them, on @noble/curves' curve arithmetic:
// a signature is sk · H(m) in G1, checked by e(S, G2) = e(H(m), PK₂), encoded as 64 bytes X ‖ Y.
// Two hashes to G1 are in use, and which one depends on what is signed:
// - result signatures hash the certificate digest the Solidity way (BN254.hashToG1: try-and-increment from
//   x = digest mod p), so that the on-chain verifier can check them;
// - auth signatures and the aggregator's task signatures hash keccak256(message) with RFC 9380
//   hash_to_curve (expand_message_xmd SHA-256, Shallue–van de Woestijne map, DST below), as gnark-crypto's
//   HashToG1 does. @noble/curves has no SvdW map for BN254, so it is here, after RFC 9380 §6.6.1.

import { hash_to_field } from "@noble/curves/abstract/hash-to-curve.js";
import { bn254 } from "@noble/curves/bn254.js";
import { sha256 } from "@noble/hashes/sha2.js";

const { Fp, Fp12 } = bn254.fields;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
/** A point of BN254's G1: signatures and hashed messages. */
export type G1Point = InstanceType<typeof G1>;
/** A point of BN254's G2: an operator's public key as signatures are checked against it. */
export type G2Point = InstanceType<typeof G2>;

/** crypto-libs' domain separation tag (its name says SSWU; the map gnark applies for BN254 is SvdW). */
export const BLS_SIG_DST = "BLS_SIG_BN254G1_XMD:SHA-256_SSWU_RO_NUL_";
const P = Fp.ORDER;
const B = 3n;
const SQRT_EXPONENT = (P + 1n) / 4n; // p ≡ 3 (mod 4)

function bigintOf(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
}

/** BN254.hashToG1 of eigenlayer-middleware (and crypto-libs' SolidityHashToG1). */
export function solidityHashToG1(digest: Uint8Array): G1Point {
  let x = bigintOf(digest) % P;
  for (;;) {
    const beta = Fp.add(Fp.pow(x, 3n), B);
    const y = Fp.pow(beta, SQRT_EXPONENT);
    if (Fp.eql(Fp.sqr(y), beta)) return G1.fromAffine({ x, y });
    x = Fp.add(x, 1n);
  }
}

// SvdW constants for y² = x³ + 3 with Z = 1 (RFC 9380 §6.6.1; the Z gnark-crypto uses):
// c1 = g(Z), c2 = -Z/2, c3 = sqrt(-g(Z)·(3Z² + 4A)) with sgn0(c3) = 0, c4 = -4·g(Z)/(3Z² + 4A).
const Z = 1n;
const g = (x: bigint) => Fp.add(Fp.mul(Fp.sqr(x), x), B);
const C1 = g(Z);
const C2 = Fp.div(Fp.neg(Z), 2n);
const C3 = (() => {
  const root = Fp.sqrt(Fp.neg(Fp.mul(C1, Fp.mul(3n, Fp.sqr(Z)))));
  return root % 2n === 0n ? root : Fp.neg(root);
})();
const C4 = Fp.div(Fp.mul(-4n, C1), Fp.mul(3n, Fp.sqr(Z)));
const isSquare = (x: bigint) => Fp.is0(x) || Fp.pow(x, (P - 1n) / 2n) === 1n;

/** RFC 9380 map_to_curve_svdw for the BN254 G1 curve. */
export function mapToG1Svdw(u: bigint): G1Point {
  const tv1 = Fp.mul(Fp.sqr(u), C1);
  const tv2 = Fp.add(1n, tv1);
  const tv1b = Fp.sub(1n, tv1);
  const tv3 = Fp.is0(Fp.mul(tv1b, tv2)) ? 0n : Fp.inv(Fp.mul(tv1b, tv2));
  const tv4 = Fp.mul(Fp.mul(Fp.mul(u, tv1b), tv3), C3);
  const x1 = Fp.sub(C2, tv4);
  const x2 = Fp.add(C2, tv4);
  const x3 = Fp.add(Fp.mul(Fp.sqr(Fp.mul(Fp.sqr(tv2), tv3)), C4), Z);
  const x = isSquare(g(x1)) ? x1 : isSquare(g(x2)) ? x2 : x3;
  let y = Fp.sqrt(g(x));
  if (u % 2n !== y % 2n) y = Fp.neg(y);
  return G1.fromAffine({ x, y });
}

/** hash_to_curve with two field elements, as gnark-crypto's bn254.HashToG1 (the G1 cofactor is 1). */
export function hashToG1(message: Uint8Array, dst: string = BLS_SIG_DST): G1Point {
  const [[u0], [u1]] = hash_to_field(message, 2, {
    DST: dst,
    expand: "xmd",
    hash: sha256,
    p: P,
    m: 1,
    k: 128,
  }) as [[bigint], [bigint]];
  return mapToG1Svdw(u0).add(mapToG1Svdw(u1));
}

/** A G1 point as the 64 bytes X ‖ Y a signature travels in. */
export function g1ToBytes(point: G1Point): Buffer {
  const { x, y } = point.toAffine();
  const bytes = Buffer.alloc(64);
  bytes.write(x.toString(16).padStart(64, "0"), 0, "hex");
  bytes.write(y.toString(16).padStart(64, "0"), 32, "hex");
  return bytes;
}

/** A 64-byte X ‖ Y G1 point; throws when it is not one (off the curve, a coordinate not below p). */
export function g1FromBytes(bytes: Uint8Array): G1Point {
  if (bytes.length !== 64) throw new Error(`expected 64 bytes (X ‖ Y), got ${bytes.length}`);
  const x = bigintOf(bytes.subarray(0, 32));
  const y = bigintOf(bytes.subarray(32));
  if (x >= P || y >= P) throw new Error("a coordinate is not below the field modulus");
  const point = G1.fromAffine({ x, y });
  point.assertValidity();
  return point;
}

/** The G2 key as the KeyRegistrar returns it: X = [X.A1, X.A0], Y = [Y.A1, Y.A0] (imaginary part first). */
export function g2FromSolidity(key: { X: readonly [bigint, bigint]; Y: readonly [bigint, bigint] }): G2Point {
  const point = G2.fromAffine({
    x: { c0: key.X[1], c1: key.X[0] },
    y: { c0: key.Y[1], c1: key.Y[0] },
  });
  point.assertValidity();
  return point;
}

/** A G2 point as Solidity's BN254.G2Point takes it (each coordinate's c1 before c0). */
export function g2ToSolidity(point: G2Point): { X: [bigint, bigint]; Y: [bigint, bigint] } {
  const { x, y } = point.toAffine();
  return { X: [x.c1, x.c0], Y: [y.c1, y.c0] };
}

/** The G1 and G2 public keys of a BLS secret key, as KeyRegistrar registers them. */
export function bn254PublicKeys(secretKey: bigint): { g1: G1Point; g2: G2Point } {
  return { g1: G1.BASE.multiply(secretKey), g2: G2.BASE.multiply(secretKey) };
}

/** A BLS signature (sk · H) of a message already hashed to G1, encoded as 64 bytes. */
export function bn254Sign(secretKey: bigint, hashPoint: G1Point): Buffer {
  return g1ToBytes(hashPoint.multiply(secretKey));
}

/** e(S, G2) = e(H, PK₂), checked as e(S, -G2) · e(H, PK₂) = 1 in one final exponentiation. */
export function bn254Verify(signature: G1Point, hashPoint: G1Point, publicKey: G2Point): boolean {
  const product = bn254.pairingBatch([
    { g1: signature, g2: G2.BASE.negate() },
    { g1: hashPoint, g2: publicKey },
  ]);
  return Fp12.eql(product, Fp12.ONE);
}

/** A BN254 secret key from its big-endian bytes, as crypto-libs reads one; throws for 0 or ≥ r. */
export function bn254SecretKey(bytes: Uint8Array): bigint {
  const key = bigintOf(bytes);
  if (key === 0n || key >= bn254.fields.Fr.ORDER) {
    throw new Error("not a BN254 secret key (zero, or not below the group order)");
  }
  return key;
}
