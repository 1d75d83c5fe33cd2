// The two signatures of a TaskResult, as Hourglass's executor makes them (signResult in
// ponos/pkg/executor/handlers.go, with its in-memory signer):
// - result_signature over the certificate digest: ECDSA signs keccak256(digest bytes); BN254 signs the 32-byte
//   digest hashed to G1 the Solidity way;
// - auth_signature over keccak256 of the 160 auth bytes (which include keccak256(result_signature)): ECDSA
//   signs that hash; BN254 signs it hashed to G1 with RFC 9380 hash_to_curve.

import { keccak256 } from "../operator-signer.ts";
import type { CurveType } from "./abis.ts";
import { bn254Sign, type G1Point, hashToG1, solidityHashToG1 } from "./bn254.ts";
import { signHash } from "./ecdsa.ts";
import { type AuthFields, authSigningBytes } from "./task-message.ts";

/** The operator's secret keys a result can be signed with, one per curve. */
export interface SigningKeys {
  ecdsa?: Uint8Array;
  bn254?: bigint;
}

/** A TaskResult's result_signature and auth_signature. */
export interface ResultSignatures {
  resultSignature: Buffer;
  authSignature: Buffer;
}

type AuthContext = Omit<AuthFields, "resultSignature">;

/** A result's two signatures made with the operator's ECDSA key, as Hourglass's executor makes them. */
export function signEcdsaResult(
  privateKey: Uint8Array,
  digestBytes: Uint8Array,
  auth: AuthContext,
): ResultSignatures {
  const resultSignature = signHash(keccak256(digestBytes), privateKey);
  const authSignature = signHash(keccak256(authSigningBytes({ ...auth, resultSignature })), privateKey);
  return { resultSignature, authSignature };
}

/** A result's two signatures made with the operator's BN254 key, as Hourglass's executor makes them. */
export function signBn254Result(secretKey: bigint, digest: Uint8Array, auth: AuthContext): ResultSignatures {
  const resultSignature = bn254Sign(secretKey, solidityHashToG1(digest));
  const authSignature = bn254Sign(secretKey, authHashPoint({ ...auth, resultSignature }));
  return { resultSignature, authSignature };
}

/** The G1 point a BN254 auth signature signs (also what a verifier checks it against). */
export function authHashPoint(fields: AuthFields): G1Point {
  return hashToG1(keccak256(authSigningBytes(fields)));
}

/** Which key signs for a set of `curve`: throws when this executor has none for it. */
export function requireKey(keys: SigningKeys, curve: CurveType): Uint8Array | bigint {
  const key = curve === "ecdsa" ? keys.ecdsa : curve === "bn254" ? keys.bn254 : undefined;
  if (key === undefined) {
    throw new Error(
      curve === "bn254"
        ? "the task's operator set uses BN254 and no BLS key is configured; set operator.signingKeys.bls"
        : `the task's operator set uses curve "${curve}", which this executor has no key for`,
    );
  }
  return key;
}
