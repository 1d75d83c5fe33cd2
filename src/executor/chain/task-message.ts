// The byte layouts Hourglass signs and verifies, and EigenLayer's digest formulas, as pure functions: the
// aggregator's versioned task-submission message (ponos/pkg/util: TaskSubmissionSignatureData.ToSigningBytes),
// the executor's auth bytes (ponos/pkg/types: AuthSignatureData.ToSigningBytes), TaskMailbox.getMessageHash,
// ECDSACertificateVerifier.calculateCertificateDigestBytes and BN254CertificateVerifier.calculateCertificateDigest.
// The chain computes the last three too; a start-up self-test compares both before these are used in its place.
import { keccak256 } from "../operator-signer.ts";

/** The task-submission message version the aggregator signs and this executor can rebuild. */
export const TASK_MESSAGE_VERSION_V1 = 1;

const utf8 = (text: string) => Buffer.from(text, "utf8");
/** Zeros that pad a bytes argument to a whole number of 32-byte words. */
const WORD_PADDING = new Uint8Array(32);
const ECDSA_CERTIFICATE_TYPEHASH = keccak256(
  utf8("ECDSACertificate(uint32 referenceTimestamp,bytes32 messageHash)"),
);
const BN254_CERTIFICATE_TYPEHASH = keccak256(
  utf8("BN254Certificate(uint32 referenceTimestamp,bytes32 messageHash)"),
);
const EIP712_DOMAIN_TYPEHASH_NO_CHAINID = keccak256(
  utf8("EIP712Domain(string name,string version,address verifyingContract)"),
);
const EIGENLAYER_NAME_HASH = keccak256(utf8("EigenLayer"));

/** A 32-byte big-endian word holding an unsigned integer (uint32, uint64). */
function uintWord(value: number | bigint): Buffer {
  const word = Buffer.alloc(32);
  word.writeBigUInt64BE(BigInt(value), 24);
  return word;
}

/** `0x` + 40 hex as an ABI word (left-padded). Callers pass addresses already checked by the validation. */
function addressWord(address: string): Buffer {
  const word = Buffer.alloc(32);
  word.write(address.slice(2), 12, "hex");
  return word;
}

/** `0x` + 64 hex as 32 bytes. */
export function bytes32(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

/** What the aggregator's signed task-submission message is built from. */
export interface TaskSubmissionMessageFields {
  taskId: string;
  avsAddress: string;
  /** Always this executor's operator, never the task's field: it binds the aggregator's signature to us. */
  executorAddress: string;
  referenceTimestamp: number;
  blockNumber: bigint;
  operatorSetId: number;
  payload: Uint8Array;
}

/** Why a task-submission message of `version` cannot be rebuilt; undefined for a version Hourglass defines. */
export function unsupportedMessageVersion(version: number): string | undefined {
  return version === TASK_MESSAGE_VERSION_V1
    ? undefined
    : `unsupported task submission message version ${version} (supported: 1)`;
}

/** The 224 bytes the aggregator signs: taskId ‖ avs ‖ executor ‖ operatorSetId ‖ referenceTimestamp ‖
 * blockNumber ‖ keccak256(payload), each a 32-byte word. Throws for a version Hourglass does not define. */
export function taskSubmissionMessage(fields: TaskSubmissionMessageFields, version: number): Buffer {
  const unsupported = unsupportedMessageVersion(version);
  if (unsupported) throw new Error(unsupported);
  return Buffer.concat([
    bytes32(fields.taskId),
    addressWord(fields.avsAddress),
    addressWord(fields.executorAddress),
    uintWord(fields.operatorSetId),
    uintWord(fields.referenceTimestamp),
    uintWord(fields.blockNumber),
    keccak256(fields.payload),
  ]);
}

/** What the auth bytes of a result bind together: the task, the AVS, the operator, its set and the result
 * signature. */
export interface AuthFields {
  taskId: string;
  avsAddress: string;
  operatorAddress: string;
  operatorSetId: number;
  resultSignature: Uint8Array;
}

/** The 160 bytes of the auth signature: taskId ‖ avs ‖ operator ‖ operatorSetId ‖ keccak256(result_signature). */
export function authSigningBytes(fields: AuthFields): Buffer {
  return Buffer.concat([
    bytes32(fields.taskId),
    addressWord(fields.avsAddress),
    addressWord(fields.operatorAddress),
    uintWord(fields.operatorSetId),
    keccak256(fields.resultSignature),
  ]);
}

/** TaskMailbox.getMessageHash: keccak256(abi.encode(bytes32 taskHash, bytes result)). */
export function taskMessageHash(taskHash: Uint8Array, output: Uint8Array): Uint8Array {
  const head = Buffer.alloc(96);
  head.set(taskHash, 0);
  head.writeUInt8(0x40, 63); // offset of the bytes argument
  head.writeBigUInt64BE(BigInt(output.length), 88);
  // Hashed in parts: the output (up to megabytes) is not copied.
  return keccak256(head, output, WORD_PADDING.subarray(0, -output.length & 31));
}

/** The first character of the verifier's version string, as SemVerMixin._majorVersion takes it. */
export function majorVersion(version: string): string {
  if (version.length === 0) throw new Error("the ECDSA certificate verifier reports an empty version()");
  return String.fromCharCode(Buffer.from(version, "utf8")[0]!);
}

/** ECDSACertificateVerifier.domainSeparator: EIP-712 without chainId, name "EigenLayer". */
export function ecdsaDomainSeparator(version: string, verifier: string): Uint8Array {
  return keccak256(
    Buffer.concat([
      EIP712_DOMAIN_TYPEHASH_NO_CHAINID,
      EIGENLAYER_NAME_HASH,
      keccak256(utf8(majorVersion(version))),
      addressWord(verifier),
    ]),
  );
}

/** calculateCertificateDigestBytes: "\x19\x01" ‖ domainSeparator ‖ keccak256(typehash ‖ timestamp ‖ hash). */
export function ecdsaCertificateDigestBytes(
  domainSeparator: Uint8Array,
  referenceTimestamp: number,
  messageHash: Uint8Array,
): Buffer {
  const structHash = keccak256(
    Buffer.concat([ECDSA_CERTIFICATE_TYPEHASH, uintWord(referenceTimestamp), messageHash]),
  );
  return Buffer.concat([Buffer.from([0x19, 0x01]), domainSeparator, structHash]);
}

/** BN254CertificateVerifier.calculateCertificateDigest: keccak256(typehash ‖ timestamp ‖ messageHash). */
export function bn254CertificateDigest(referenceTimestamp: number, messageHash: Uint8Array): Uint8Array {
  return keccak256(Buffer.concat([BN254_CERTIFICATE_TYPEHASH, uintWord(referenceTimestamp), messageHash]));
}
