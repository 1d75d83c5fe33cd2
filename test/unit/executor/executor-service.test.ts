// ExecutorManagementService over a real gRPC connection on 127.0.0.1, authentication on: the challenge round trip
// a Hourglass client makes, and the refusals around it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { PerformerManager } from "../../../src/executor/executor-service.ts";
import { managementServiceImplementation } from "../../../src/executor/executor-service.ts";
import { InFlightLimiter } from "../../../src/executor/in-flight-limiter.ts";
import { ChallengeTokens } from "../../../src/executor/management-auth.ts";
import { addressOfPrivateKey } from "../../../src/executor/operator-signer.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { AuthSignature } from "../../../src/grpc/messages.ts";
import {
  EXECUTOR_MANAGEMENT_SERVICE_NAME,
  executorManagementService,
  executorProtos,
} from "../../../src/grpc/protos.ts";
import { startGrpcServer } from "../../../src/grpc/server.ts";
import { challengeSignature } from "../../support/challenge-signature.ts";
import { executorClient } from "../../support/grpc-clients.ts";

const KEY = Buffer.from("44".repeat(32), "hex");
const OPERATOR = addressOfPrivateKey(KEY);

async function serve(removed: string[]) {
  const registry = new PerformerRegistry();
  registry.add({
    performerId: "performer-a",
    avsAddress: "0x1111111111111111111111111111111111111111",
    artifactRegistry: "",
    artifactDigest: "",
    containerId: "",
    connection: {
      endpoint: "unused:1",
      executeTask: () => Promise.reject(new Error("not called")),
      healthCheck: () => Promise.reject(new Error("not called")),
      close() {},
    },
    limiter: new InFlightLimiter(1),
    health: { status: "SERVING", resourceHealthy: true, applicationHealthy: true, lastHealthCheck: "" },
  });
  const manager: PerformerManager = {
    start: async () => {},
    deployArtifact: () => Promise.reject(new Error("not called")),
    removePerformer: async ({ performer_id }) => {
      removed.push(performer_id);
      return { success: true, message: "removed" };
    },
    abortDeployments() {},
    shutdown: async () => {},
  };
  return startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    protos: executorProtos,
    services: [
      {
        name: EXECUTOR_MANAGEMENT_SERVICE_NAME,
        definition: executorManagementService,
        implementation: managementServiceImplementation({
          registry,
          manager,
          auth: { enabled: true, operatorAddress: OPERATOR, tokens: new ChallengeTokens() },
        }),
      },
    ],
  });
}

describe("ExecutorManagementService with authentication on", () => {
  it("serves a request signed over a fresh challenge token, once", async (t) => {
    const removed: string[] = [];
    const server = await serve(removed);
    t.after(() => server.shutdown(0));
    const client = executorClient(`127.0.0.1:${server.port}`);
    t.after(() => client.close());

    const challenge = await client.getChallengeToken(OPERATOR);
    assert.ok(Number(challenge.expires_at) * 1000 > Date.now(), "expires in the future");
    const auth: AuthSignature = {
      challenge_token: challenge.challenge_token,
      signature: challengeSignature(challenge.challenge_token, KEY),
    };
    const { performers } = await client.listPerformers("", auth);
    assert.deepEqual(
      performers.map((p) => p.performer_id),
      ["performer-a"],
    );
    await assert.rejects(client.listPerformers("", auth), (error: ServiceError) => {
      assert.equal(error.code, status.UNAUTHENTICATED);
      assert.match(error.details, /invalid challenge token/);
      return true;
    });

    const next = await client.getChallengeToken(OPERATOR);
    await client.removePerformer("performer-a", {
      challenge_token: next.challenge_token,
      signature: challengeSignature(next.challenge_token, KEY),
    });
    assert.deepEqual(removed, ["performer-a"]);
  });

  it("refuses a request without auth, and one signed by another key, before doing anything", async (t) => {
    const removed: string[] = [];
    const server = await serve(removed);
    t.after(() => server.shutdown(0));
    const client = executorClient(`127.0.0.1:${server.port}`);
    t.after(() => client.close());
    await assert.rejects(client.removePerformer("performer-a"), (error: ServiceError) => {
      assert.equal(error.code, status.UNAUTHENTICATED);
      assert.deepEqual(error.metadata.get("hg-error-code"), ["HG_ERR_AUTH_MISSING"]);
      return true;
    });
    const { challenge_token } = await client.getChallengeToken(OPERATOR);
    await assert.rejects(
      client.removePerformer("performer-a", {
        challenge_token,
        signature: challengeSignature(challenge_token, Buffer.from("55".repeat(32), "hex")),
      }),
      (error: ServiceError) =>
        error.code === status.UNAUTHENTICATED && /invalid signature/.test(error.details),
    );
    assert.deepEqual(removed, []);
  });
});
