// The EigenLayer and Hourglass contract functions the executor reads, as typed ABIs (viem infers argument and
// result types from them). Signatures as in eigenlayer-contracts' interfaces and Hourglass's TaskAVSRegistrarBase.
import { parseAbi } from "viem";

export const allocationManagerAbi = parseAbi([
  "function getAVSRegistrar(address avs) view returns (address)",
]);

export const keyRegistrarAbi = parseAbi([
  "struct OperatorSet { address avs; uint32 id; }",
  "struct G1Point { uint256 X; uint256 Y; }",
  "struct G2Point { uint256[2] X; uint256[2] Y; }",
  "function getOperatorSetCurveType(OperatorSet operatorSet) view returns (uint8)",
  "function getECDSAAddress(OperatorSet operatorSet, address operator) view returns (address)",
  "function getBN254Key(OperatorSet operatorSet, address operator) view returns (G1Point g1Point, G2Point g2Point)",
]);

export const taskAvsRegistrarAbi = parseAbi([
  "struct AvsConfig { uint32 aggregatorOperatorSetId; uint32[] executorOperatorSetIds; }",
  "function getAvsConfig() view returns (AvsConfig)",
  "function getOperatorSocket(address operator) view returns (string)",
]);

export const taskMailboxAbi = parseAbi([
  "function getMessageHash(bytes32 taskHash, bytes result) pure returns (bytes32)",
]);

export const ecdsaCertificateVerifierAbi = parseAbi([
  "function version() view returns (string)",
  "function domainSeparator() view returns (bytes32)",
  "function calculateCertificateDigestBytes(uint32 referenceTimestamp, bytes32 messageHash) view returns (bytes)",
]);

export const bn254CertificateVerifierAbi = parseAbi([
  "function calculateCertificateDigest(uint32 referenceTimestamp, bytes32 messageHash) pure returns (bytes32)",
]);

/** KeyRegistrar's CurveType enum. */
export const CURVE_TYPES = ["none", "ecdsa", "bn254"] as const;
export type CurveType = (typeof CURVE_TYPES)[number];
