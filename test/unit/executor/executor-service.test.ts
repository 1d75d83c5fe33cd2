// ExecutorService and ExecutorManagementService over a real gRPC connection on 127.0.0.1: SubmitTask's call signal
// (a client that goes away, and one that was answered), and with authentication on, the challenge round trip a
// Hourglass client makes and the refusals around it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { PerformerManager } from "../../../src/executor/executor-service.ts";
import {
  executorServiceImplementation,
  managementServiceImplementation,
} from "../../../src/executor/executor-service.ts";
import { InFlightLimiter } from "../../../src/executor/in-flight-limiter.ts";
import { ChallengeTokens } from "../../../src/executor/management-auth.ts";
import { addressOfPrivateKey } from "../../../src/executor/operator-signer.ts";
import { PerformerRegistry } from "../../../src/executor/performer-registry.ts";
import type { TaskCall, TaskRouter } from "../../../src/executor/task-router.ts";
import type { AuthSignature, TaskResult } from "../../../src/grpc/messages.ts";
import {
  EXECUTOR_MANAGEMENT_SERVICE_NAME,
  EXECUTOR_SERVICE_NAME,
  executorManagementService,
  executorProtos,
  executorService,
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

/** SubmitTask served by a router that hands each call it gets to `onTask`, which answers it. */
async function serveTasks(onTask: (call: TaskCall) => Promise<TaskResult>) {
  const router = { submitTask: (_task: unknown, call: TaskCall) => onTask(call) } as unknown as TaskRouter;
  return startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    protos: executorProtos,
    services: [
      {
        name: EXECUTOR_SERVICE_NAME,
        definition: executorService,
        implementation: executorServiceImplementation({ router }),
      },
    ],
  });
}

const TASK = {
  task_id: "task-1",
  avs_address: "0x1111111111111111111111111111111111111111",
  payload: Buffer.alloc(0),
};

describe("SubmitTask's call signal", () => {
  it("aborts when the client cancels the call", async (t) => {
    const seen: AbortSignal[] = [];
    const server = await serveTasks(
      (call) =>
        new Promise((_, reject) => {
          seen.push(call.signal!);
          call.signal!.addEventListener("abort", () => reject(new Error("abandoned")), { once: true });
        }),
    );
    t.after(() => server.shutdown(0));
    const client = executorClient(`127.0.0.1:${server.port}`);
    t.after(() => client.close());
    const cancel = new AbortController();
    const answered = client.submitTask(TASK, undefined, cancel.signal);
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    cancel.abort();
    await assert.rejects(answered, (error: ServiceError) => error.code === status.CANCELLED);
    await new Promise<void>((resolve) =>
      seen[0]!.aborted ? resolve() : seen[0]!.addEventListener("abort", () => resolve()),
    );
    assert.equal(seen[0]!.aborted, true);
  });

  it("stays unaborted once the call is answered", async (t) => {
    const seen: AbortSignal[] = [];
    const server = await serveTasks(async (call) => {
      seen.push(call.signal!);
      return {
        task_id: TASK.task_id,
        operator_address: "",
        output: Buffer.from("out"),
        result_signature: Buffer.alloc(0),
        avs_address: TASK.avs_address,
        operator_set_id: 0,
        auth_signature: Buffer.alloc(0),
        version: 0,
      };
    });
    t.after(() => server.shutdown(0));
    const client = executorClient(`127.0.0.1:${server.port}`);
    t.after(() => client.close());
    const result = await client.submitTask(TASK);
    assert.equal(result.output.toString(), "out");
    // grpc-js tells the server's call "cancelled" on the next tick after it sent the status.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(seen[0]!.aborted, false);
  });
});

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
