// The EigenLayer and Hourglass contract functions the executor reads, as typed ABIs (viem infers argument and
// result types from them). Signatures as in eigenlayer-contracts' interfaces and Hourglass's TaskAVSRegistrarBase.
import { parseAbi } from "viem";

/** AllocationManager's call that finds an AVS's registrar, where the operator's socket is read. */
export const allocationManagerAbi = parseAbi([
  "function getAVSRegistrar(address avs) view returns (address)",
]);

/** KeyRegistrar's calls: an operator set's curve and the ECDSA address or BN254 key an operator registered
 * for it. */
export const keyRegistrarAbi = parseAbi([
  "struct OperatorSet { address avs; uint32 id; }",
  "struct G1Point { uint256 X; uint256 Y; }",
  "struct G2Point { uint256[2] X; uint256[2] Y; }",
  "function getOperatorSetCurveType(OperatorSet operatorSet) view returns (uint8)",
  "function getECDSAAddress(OperatorSet operatorSet, address operator) view returns (address)",
  "function getBN254Key(OperatorSet operatorSet, address operator) view returns (G1Point g1Point, G2Point g2Point)",
]);

/** The AVS registrar's calls: which operator set is the aggregator's, and an operator's socket. */
export const taskAvsRegistrarAbi = parseAbi([
  "struct AvsConfig { uint32 aggregatorOperatorSetId; uint32[] executorOperatorSetIds; }",
  "function getAvsConfig() view returns (AvsConfig)",
  "function getOperatorSocket(address operator) view returns (string)",
]);

/** TaskMailbox's message hash of a task's result, the first digest a result signature covers. */
export const taskMailboxAbi = parseAbi([
  "function getMessageHash(bytes32 taskHash, bytes result) pure returns (bytes32)",
]);

/** ECDSACertificateVerifier's calls behind the digest an ECDSA result signature signs (and its EIP-712
 * domain). */
export const ecdsaCertificateVerifierAbi = parseAbi([
  "function version() view returns (string)",
  "function domainSeparator() view returns (bytes32)",
  "function calculateCertificateDigestBytes(uint32 referenceTimestamp, bytes32 messageHash) view returns (bytes)",
]);

/** BN254CertificateVerifier's digest, the one a BN254 result signature signs. */
export const bn254CertificateVerifierAbi = parseAbi([
  "function calculateCertificateDigest(uint32 referenceTimestamp, bytes32 messageHash) pure returns (bytes32)",
]);

/** KeyRegistrar's CurveType enum. */
export const CURVE_TYPES = ["none", "ecdsa", "bn254"] as const;
/** The curve an operator set's keys are on, as KeyRegistrar names it. */
export type CurveType = (typeof CURVE_TYPES)[number];
