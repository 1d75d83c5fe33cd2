// What the loggers write, read back line by line as an operator's terminal or log pipeline would.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createLogger, textLine } from "../../../src/observability/logger.ts";

function captured(format: "json" | "text") {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk) => {
    text += chunk;
  });
  const log = createLogger("hourglass-executor", { level: "info", destination: out, format });
  return { log, lines: () => text.split("\n").filter(Boolean) };
}

test("json: one JSON object per line, with the level's name, the process's name and an ISO time", () => {
  const { log, lines } = captured("json");
  log.info({ grpcPort: 9000 }, "executor serving");
  log.debug("not at info");
  assert.equal(lines().length, 1);
  const record = JSON.parse(lines()[0]!);
  assert.equal(record.level, "info");
  assert.equal(record.name, "hourglass-executor");
  assert.equal(record.msg, "executor serving");
  assert.equal(record.grpcPort, 9000);
  assert.ok(!Number.isNaN(Date.parse(record.time)), record.time);
});

test("text: time, level, name and message first, then the fields as key=value", () => {
  const { log, lines } = captured("text");
  log.warn({ avs: "0xabc", path: "a b", retries: 2, labels: { x: 1 } }, "performer unreachable");
  const [line] = lines();
  assert.match(
    line!,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}hourglass-executor: performer unreachable avs=0xabc path="a b" retries=2 labels=\{"x":1\}$/,
  );
});

test("text: an error shows its message as a field and its stack on the lines after", () => {
  const line = textLine({
    time: "2026-11-28T10:00:00.000Z",
    level: "error",
    name: "hourglass-executor",
    msg: "task failed",
    err: { type: "Error", message: "boom", stack: "Error: boom\n    at f (x.ts:1:1)" },
    task: "t-1",
  });
  assert.equal(
    line,
    "2026-11-28T10:00:00.000Z ERROR hourglass-executor: task failed err=boom task=t-1\n    at f (x.ts:1:1)",
  );
});
