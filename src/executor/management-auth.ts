// Authentication of ExecutorManagementService calls, as Hourglass's executor does it: GetChallengeToken issues a
// random token to the operator; a request carries it in AuthSignature with the operator key's signature over
// keccak256(keccak256(token)); each token is good for one request, for five minutes. With authentication off, a
// request that carries an AuthSignature is refused (UNIMPLEMENTED) and one without passes, as upstream.
import { randomBytes } from "node:crypto";
import type { AuthSignature } from "../grpc/messages.ts";
import { EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";
import { keccak256, recoverSigner } from "./operator-signer.ts";

/** How long a challenge token stays good, as in Hourglass (five minutes). */
export const CHALLENGE_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Tokens outstanding at once: anyone who knows the operator's (public) address can ask for tokens, so the oldest
 * are dropped beyond this rather than letting memory grow. */
export const MAX_OUTSTANDING_TOKENS = 1024;

/** A challenge token as GetChallengeToken answers it: the token and when it expires. */
export interface ChallengeToken {
  token: string;
  expiresAtMs: number;
}

/** The tokens issued and not yet used or expired. `now` is injectable for tests. */
export class ChallengeTokens {
  readonly #tokens = new Map<string, number>();
  readonly #now: () => number;
  readonly #lifetimeMs: number;
  readonly #max: number;

  constructor(options: { now?: () => number; lifetimeMs?: number; max?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? CHALLENGE_TOKEN_LIFETIME_MS;
    this.#max = options.max ?? MAX_OUTSTANDING_TOKENS;
  }

  /** How many tokens are issued and neither used nor expired. */
  get outstanding(): number {
    return this.#tokens.size;
  }

  /** A new one-use token, dropping expired ones and, past the bound, the oldest. */
  issue(): ChallengeToken {
    const now = this.#now();
    for (const [token, expiresAt] of this.#tokens) if (expiresAt < now) this.#tokens.delete(token);
    // A Map iterates in insertion order: the first key is the oldest token.
    while (this.#tokens.size >= this.#max) this.#tokens.delete(this.#tokens.keys().next().value!);
    // 32 random bytes as 64 hex digits, the shape of upstream's tokens (a keccak256 digest in hex).
    const token = randomBytes(32).toString("hex");
    const expiresAtMs = now + this.#lifetimeMs;
    this.#tokens.set(token, expiresAtMs);
    return { token, expiresAtMs };
  }

  /** Takes the token out of use; why not, when it cannot be used. */
  use(token: string): string | undefined {
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined) return "challenge token not found (or already used)";
    this.#tokens.delete(token);
    if (this.#now() > expiresAt) return "challenge token expired";
    return undefined;
  }
}

/** What the operator's key signs for a challenge token: keccak256(keccak256(utf8(token))), as the ECDSA signer of
 * Hourglass signs its ConstructSignedMessage(token). `recoverSigner` hashes once more. */
export function challengeMessage(token: string): Uint8Array {
  return keccak256(Buffer.from(token, "utf8"));
}

/** Whether management calls are authenticated, by which operator's key, and the tokens outstanding. */
export interface ManagementAuth {
  enabled: boolean;
  /** The executor's operator: the only one who may ask for tokens, and whose key must sign. */
  operatorAddress: string;
  tokens: ChallengeTokens;
}

/** Throws the gRPC error that refuses the request, or returns when it may proceed. */
export function verifyManagementAuth(auth: ManagementAuth, signature: AuthSignature | null): void {
  if (!auth.enabled) {
    if (signature) {
      throw executorError(
        EXECUTOR_ERRORS.authNotEnabled,
        "authentication is not enabled on this executor; send the request without auth, or set authentication.enabled",
      );
    }
    return;
  }
  if (!signature) {
    throw executorError(
      EXECUTOR_ERRORS.authMissing,
      "missing authentication: get a token from GetChallengeToken and sign it with the operator's key",
    );
  }
  const refused = auth.tokens.use(signature.challenge_token);
  if (refused) {
    throw executorError(
      EXECUTOR_ERRORS.authTokenInvalid,
      `invalid challenge token: ${refused}; get a new one from GetChallengeToken`,
    );
  }
  let signer: string;
  try {
    signer = recoverSigner(challengeMessage(signature.challenge_token), signature.signature);
  } catch (error) {
    throw executorError(
      EXECUTOR_ERRORS.authSignatureInvalid,
      `invalid signature: ${(error as Error).message}`,
    );
  }
  if (signer !== auth.operatorAddress.toLowerCase()) {
    throw executorError(
      EXECUTOR_ERRORS.authSignatureInvalid,
      "invalid signature: not made by the operator's key over keccak256(keccak256(challenge_token))",
    );
  }
}

/** GetChallengeToken's checks and token, in upstream's order: the address first, then whether auth is on. */
export function issueChallengeToken(auth: ManagementAuth, operatorAddress: string): ChallengeToken {
  if (!operatorAddress) {
    throw executorError(
      EXECUTOR_ERRORS.operatorAddressEmpty,
      "operator_address: required; give the executor's operator address",
    );
  }
  if (operatorAddress.toLowerCase() !== auth.operatorAddress.toLowerCase()) {
    throw executorError(EXECUTOR_ERRORS.operatorMismatch, "operator_address: not this executor's operator");
  }
  if (!auth.enabled) {
    throw executorError(
      EXECUTOR_ERRORS.authNotEnabled,
      "authentication is not enabled on this executor; management calls need no token",
    );
  }
  return auth.tokens.issue();
}
