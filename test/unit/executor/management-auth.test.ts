import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import { ERROR_CODE_TRAILER } from "../../../src/executor/executor-errors.ts";
import {
  ChallengeTokens,
  issueChallengeToken,
  type ManagementAuth,
  verifyManagementAuth,
} from "../../../src/executor/management-auth.ts";
import { addressOfPrivateKey } from "../../../src/executor/operator-signer.ts";
import type { AuthSignature } from "../../../src/grpc/messages.ts";
import { challengeSignature } from "../../support/challenge-signature.ts";

const OPERATOR_KEY = Buffer.from("22".repeat(32), "hex");
const OTHER_KEY = Buffer.from("33".repeat(32), "hex");
const OPERATOR = addressOfPrivateKey(OPERATOR_KEY);

function authWith(enabled: boolean, now = () => 1_000_000): ManagementAuth {
  return { enabled, operatorAddress: OPERATOR, tokens: new ChallengeTokens({ now }) };
}

function refusal(work: () => void): { code: number; errorCode: unknown; details: string } {
  try {
    work();
  } catch (error) {
    const e = error as { code: number; details: string; metadata: { get(k: string): unknown[] } };
    return { code: e.code, errorCode: e.metadata.get(ERROR_CODE_TRAILER)[0], details: e.details };
  }
  assert.fail("expected a refusal");
}

function signed(auth: ManagementAuth, key = OPERATOR_KEY): AuthSignature {
  const { token } = issueChallengeToken(auth, OPERATOR);
  return { challenge_token: token, signature: challengeSignature(token, key) };
}

describe("management authentication", () => {
  it("accepts a token signed by the operator's key, as Hourglass's client signs it", () => {
    const auth = authWith(true);
    verifyManagementAuth(auth, signed(auth));
  });

  it("accepts the operator's address in any case, and issues tokens that expire in five minutes", () => {
    const auth = authWith(true, () => 7_000);
    const issued = issueChallengeToken(auth, OPERATOR.toUpperCase().replace("0X", "0x"));
    assert.match(issued.token, /^[0-9a-f]{64}$/);
    assert.equal(issued.expiresAtMs, 7_000 + 5 * 60_000);
  });

  it("takes each token once", () => {
    const auth = authWith(true);
    const signature = signed(auth);
    verifyManagementAuth(auth, signature);
    const again = refusal(() => verifyManagementAuth(auth, signature));
    assert.deepEqual([again.code, again.errorCode], [status.UNAUTHENTICATED, "HG_ERR_AUTH_TOKEN_INVALID"]);
  });

  it("refuses an expired token", () => {
    let now = 0;
    const auth = authWith(true, () => now);
    const signature = signed(auth);
    now = 5 * 60_000 + 1;
    const expired = refusal(() => verifyManagementAuth(auth, signature));
    assert.equal(expired.errorCode, "HG_ERR_AUTH_TOKEN_INVALID");
    assert.match(expired.details, /expired/);
  });

  it("refuses a token it did not issue, a missing signature, and a signature by another key", () => {
    const auth = authWith(true);
    const unknown = refusal(() =>
      verifyManagementAuth(auth, { challenge_token: "00".repeat(32), signature: Buffer.alloc(65) }),
    );
    assert.equal(unknown.errorCode, "HG_ERR_AUTH_TOKEN_INVALID");
    const missing = refusal(() => verifyManagementAuth(auth, null));
    assert.deepEqual([missing.code, missing.errorCode], [status.UNAUTHENTICATED, "HG_ERR_AUTH_MISSING"]);
    const other = refusal(() => verifyManagementAuth(auth, signed(auth, OTHER_KEY)));
    assert.deepEqual(
      [other.code, other.errorCode],
      [status.UNAUTHENTICATED, "HG_ERR_AUTH_SIGNATURE_INVALID"],
    );
    const garbage = refusal(() =>
      verifyManagementAuth(auth, {
        challenge_token: signed(auth).challenge_token,
        signature: Buffer.alloc(3),
      }),
    );
    assert.equal(garbage.errorCode, "HG_ERR_AUTH_SIGNATURE_INVALID");
  });

  it("a signature over another token does not open this one", () => {
    const auth = authWith(true);
    const first = signed(auth);
    const second = signed(auth);
    const swapped = refusal(() =>
      verifyManagementAuth(auth, { challenge_token: second.challenge_token, signature: first.signature }),
    );
    assert.equal(swapped.errorCode, "HG_ERR_AUTH_SIGNATURE_INVALID");
  });

  it("with authentication off: no auth passes, an AuthSignature is UNIMPLEMENTED, and no token is issued", () => {
    const auth = authWith(false);
    verifyManagementAuth(auth, null);
    const sent = refusal(() =>
      verifyManagementAuth(auth, { challenge_token: "t", signature: Buffer.alloc(65) }),
    );
    assert.deepEqual([sent.code, sent.errorCode], [status.UNIMPLEMENTED, "HG_ERR_AUTH_NOT_ENABLED"]);
    const token = refusal(() => issueChallengeToken(auth, OPERATOR));
    assert.equal(token.code, status.UNIMPLEMENTED);
  });

  it("issues tokens to the executor's operator only, checking the address before whether auth is on", () => {
    for (const auth of [authWith(true), authWith(false)]) {
      const empty = refusal(() => issueChallengeToken(auth, ""));
      assert.deepEqual(
        [empty.code, empty.errorCode],
        [status.INVALID_ARGUMENT, "HG_ERR_OPERATOR_ADDRESS_EMPTY"],
      );
      const other = refusal(() => issueChallengeToken(auth, addressOfPrivateKey(OTHER_KEY)));
      assert.deepEqual([other.code, other.errorCode], [status.PERMISSION_DENIED, "HG_ERR_OPERATOR_MISMATCH"]);
    }
  });

  it("keeps a bounded number of tokens, dropping the oldest first and the expired ones", () => {
    let now = 0;
    const tokens = new ChallengeTokens({ now: () => now, max: 3, lifetimeMs: 100 });
    const [a, b, c, d] = [tokens.issue(), tokens.issue(), tokens.issue(), tokens.issue()];
    assert.equal(tokens.outstanding, 3);
    assert.match(tokens.use(a!.token)!, /not found/);
    assert.equal(tokens.use(b!.token), undefined);
    now = 101;
    tokens.issue();
    assert.equal(tokens.outstanding, 1, "c and d had expired");
    assert.match(tokens.use(c!.token)!, /not found/);
    assert.match(tokens.use(d!.token)!, /not found/);
  });
});
