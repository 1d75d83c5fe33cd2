// The digests a result signature covers: TaskMailbox.getMessageHash(taskHash, output), then the ECDSA verifier's
// certificate digest bytes or the BN254 verifier's digest. Asked of the chain per task (two calls in a row), or
// computed here once a self-test against the chain's contracts has shown the same answers for sample inputs:
// the formulas are EigenLayer's, and the contracts at the configured addresses are what the aggregator asks.
import { randomBytes } from "node:crypto";
import type { ChainFacts } from "./chain-facts.ts";
import { fromHex } from "./chain-facts.ts";
import {
  bn254CertificateDigest,
  bytes32,
  ecdsaCertificateDigestBytes,
  ecdsaDomainSeparator,
  taskMessageHash,
} from "./task-message.ts";

/** What a task's certificate digests are computed from: the task, the performer's output and the reference
 * timestamp. */
export interface DigestInput {
  taskId: string;
  output: Uint8Array;
  referenceTimestamp: number;
}

/** Output lengths around the ABI's 32-byte words, where an encoding mistake would show. */
const SAMPLE_OUTPUT_LENGTHS = [0, 1, 31, 32, 33, 100];

/** Gives a task's certificate digests, asking the chain until the self-test shows the local formulas agree
 * with it. */
export class CertificateDigests {
  readonly #facts: ChainFacts;
  #domainSeparator: Uint8Array | undefined;
  #selfTest: string = "not run yet";

  constructor(facts: ChainFacts) {
    this.#facts = facts;
  }

  /** Whether digests are computed here (the self-test passed), and what the self-test found. */
  get local(): boolean {
    return this.#domainSeparator !== undefined;
  }

  /** What the last self-test found, for /ready. */
  get selfTestResult(): string {
    return this.#selfTest;
  }

  /** Compares the local formulas with the chain's answers; on equality, later digests are computed here.
   * Throws only when the chain cannot be asked (then digests stay on the chain and the test may run again). */
  async selfTest(signal?: AbortSignal): Promise<boolean> {
    const facts = this.#facts;
    const verifier = facts.client.address("ECDSACertificateVerifier");
    const domainSeparator = ecdsaDomainSeparator(await facts.ecdsaVerifierVersion(signal), verifier);
    for (const length of SAMPLE_OUTPUT_LENGTHS) {
      const taskId = `0x${randomBytes(32).toString("hex")}`;
      const output = randomBytes(length);
      const referenceTimestamp = randomBytes(4).readUInt32BE(0) || 1;
      const messageHash = taskMessageHash(bytes32(taskId), output);
      const input = { taskId, output, referenceTimestamp };
      const [chainHash, chainEcdsa, chainBn254] = await Promise.all([
        facts.messageHash(bytes32(taskId), output, signal),
        facts.ecdsaCertificateDigestBytes(referenceTimestamp, messageHash, signal),
        facts.bn254CertificateDigest(referenceTimestamp, messageHash, signal),
      ]);
      const differs = [
        ["TaskMailbox.getMessageHash", fromHex(chainHash), messageHash],
        [
          "ECDSACertificateVerifier.calculateCertificateDigestBytes",
          fromHex(chainEcdsa),
          localDigest("ecdsa", domainSeparator, input),
        ],
        [
          "BN254CertificateVerifier.calculateCertificateDigest",
          fromHex(chainBn254),
          localDigest("bn254", domainSeparator, input),
        ],
      ].find(([, chain, local]) => !Buffer.from(chain as Uint8Array).equals(local as Uint8Array));
      if (differs) {
        this.#domainSeparator = undefined;
        this.#selfTest = `${differs[0]} answers differently from EigenLayer's formula (output of ${length} bytes); digests are asked of the chain per task`;
        return false;
      }
    }
    this.#domainSeparator = domainSeparator;
    this.#selfTest = "local digests equal the chain's for every sample";
    return true;
  }

  /** EigenLayer's domain separator for ECDSA certificates while digests are computed here (see localDigest). */
  get domainSeparator(): Uint8Array | undefined {
    return this.#domainSeparator;
  }

  /** The digest a `curve` result signature covers, asked of the chain (two calls in a row). */
  async onChain(curve: SignedCurve, input: DigestInput, signal?: AbortSignal): Promise<Uint8Array> {
    const messageHash = fromHex(await this.#facts.messageHash(bytes32(input.taskId), input.output, signal));
    return fromHex(
      curve === "ecdsa"
        ? await this.#facts.ecdsaCertificateDigestBytes(input.referenceTimestamp, messageHash, signal)
        : await this.#facts.bn254CertificateDigest(input.referenceTimestamp, messageHash, signal),
    );
  }
}

/** The curves a result is signed with. */
export type SignedCurve = "ecdsa" | "bn254";

/**
 * The digest a `curve` result signature covers, by EigenLayer's formulas: for ECDSA the certificate digest
 * bytes (whose keccak256 is signed), for BN254 the 32-byte digest. Pure, for wherever the signing runs; the
 * formulas are used once CertificateDigests' self-test has shown the chain agrees.
 */
export function localDigest(curve: SignedCurve, domainSeparator: Uint8Array, input: DigestInput): Uint8Array {
  const messageHash = taskMessageHash(bytes32(input.taskId), input.output);
  return curve === "ecdsa"
    ? ecdsaCertificateDigestBytes(domainSeparator, input.referenceTimestamp, messageHash)
    : bn254CertificateDigest(input.referenceTimestamp, messageHash);
}
