import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { samplePerformer, taskResult } from "../../../../examples/performer/performer-service.ts";

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

function invoke(handler: unknown, request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) =>
    (handler as Handler)({ request } as ServerUnaryCall<unknown, unknown>, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

describe("sample performer", () => {
  it("answers a task with the SHA-256 of its payload, echoing its id byte for byte", async () => {
    const performer = samplePerformer({ delayMs: 0 });
    const payload = Buffer.from("square me");
    const taskId = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const response = await invoke(performer.implementation.ExecuteTask, { task_id: taskId, payload });
    assert.deepEqual(response, { task_id: taskId, result: createHash("sha256").update(payload).digest() });
    assert.equal(
      taskResult(Buffer.alloc(0)).toString("hex"),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("counts the tasks in progress, and answers StartSync", async () => {
    const performer = samplePerformer({ delayMs: 50 });
    const running = invoke(performer.implementation.ExecuteTask, {
      task_id: Buffer.from("t"),
      payload: Buffer.from("x"),
    });
    assert.equal(performer.inFlight(), 1);
    await running;
    assert.equal(performer.inFlight(), 0);
    assert.deepEqual(await invoke(performer.implementation.StartSync, { payload: Buffer.from("p") }), {});
  });
});
