import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { samplePerformer, taskResult } from "../../examples/performer/performer-service.ts";

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

function invoke(handler: unknown, request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) =>
    (handler as Handler)({ request } as ServerUnaryCall<unknown, unknown>, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

describe("sample performer", () => {
  it("answers a task with the SHA-256 of its payload, echoing its id", async () => {
    const performer = samplePerformer({ delayMs: 0 });
    const payload = Buffer.from("square me");
    const response = await invoke(performer.implementation.ExecuteTask, { task_id: "t-9", payload });
    assert.deepEqual(response, { task_id: "t-9", result: createHash("sha256").update(payload).digest() });
    assert.equal(
      taskResult(Buffer.alloc(0)).toString("hex"),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("reports BUSY while a task runs and STOPPING once stopped", async () => {
    const performer = samplePerformer({ delayMs: 50 });
    assert.deepEqual(await invoke(performer.implementation.HealthCheck, {}), { status: "READY_FOR_TASK" });
    const running = invoke(performer.implementation.ExecuteTask, { task_id: "t", payload: Buffer.from("x") });
    assert.deepEqual(await invoke(performer.implementation.HealthCheck, {}), { status: "BUSY" });
    await running;
    assert.equal(performer.inFlight(), 0);
    performer.stop();
    assert.deepEqual(await invoke(performer.implementation.HealthCheck, {}), { status: "STOPPING" });
  });
});
