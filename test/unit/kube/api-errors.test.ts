import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import {
  apiErrorMessage,
  apiStatusCode,
  isConflict,
  isNotFound,
  isRejected,
} from "../../../src/kube/api-errors.ts";

const status = (code: number, message: string) =>
  new ApiException(code, "x", JSON.stringify({ kind: "Status", code, message }), {});

test("the apiserver's Status message is what an API error says", () => {
  const error = status(422, 'Pod "p" is invalid: spec.containers[0].image: Required value');
  assert.equal(apiErrorMessage(error), 'Pod "p" is invalid: spec.containers[0].image: Required value');
  assert.equal(apiStatusCode(error), 422);
  assert.equal(apiErrorMessage(new ApiException(500, "x", "not json", {})), "HTTP 500");
  assert.equal(apiErrorMessage(new Error("fetch failed")), "fetch failed");
  assert.equal(apiStatusCode(Object.assign(new Error("Gone"), { statusCode: 410 })), 410);
});

test("which errors are worth retrying", () => {
  assert.ok(isNotFound(status(404, "")));
  assert.ok(isConflict(status(409, "")));
  for (const code of [400, 403, 422]) assert.ok(isRejected(status(code, "")), String(code));
  for (const code of [404, 409, 429, 500, 503])
    assert.equal(isRejected(status(code, "")), false, String(code));
  assert.equal(isRejected(new Error("fetch failed")), false);
});
