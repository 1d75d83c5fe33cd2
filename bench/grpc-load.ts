// Child process: sends tasks in a closed loop over one gRPC channel, either to the executor (ExecutorService
// SubmitTask, as an aggregator does: tasks for --operator at --block, signed by the chain world's aggregator) or
// straight to the performer (PerformerService ExecuteTask), and prints {"msg":"load result","stats":{...}} on
// stdout.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { connectPerformer } from "../src/executor/performer-connection.ts";
import { executorClient } from "../test/support/grpc-clients.ts";
import { closedLoop } from "./closed-loop.ts";
import { signedTasks } from "./signed-tasks.ts";

const DEADLINE_MS = 30_000;

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    address: { type: "string" },
    avs: { type: "string", default: "" },
    operator: { type: "string", default: "" },
    block: { type: "string", default: "0" },
    "sign-ahead": { type: "string", default: "0" },
    "payload-bytes": { type: "string" },
    concurrency: { type: "string" },
    "warmup-ms": { type: "string", default: "1000" },
    "duration-ms": { type: "string", default: "4000" },
  },
});
const { target, address } = values;
if (
  (target !== "executor" && target !== "performer") ||
  !address ||
  !values["payload-bytes"] ||
  !values.concurrency
) {
  throw new Error(
    "usage: grpc-load.ts --target executor|performer --address HOST:PORT [--avs 0x… --operator 0x… --block N --sign-ahead N] --payload-bytes N --concurrency N",
  );
}
const payload = randomBytes(Number(values["payload-bytes"]));
let sequence = 0;
const taskId = () => `bench-${process.pid}-${sequence++}`;
const deadline = () => new Date(Date.now() + DEADLINE_MS);

let send: () => Promise<unknown>;
let close: () => void;
let signedDuringLoad = () => 0;
if (target === "executor") {
  const client = executorClient(address);
  const tasks = signedTasks({
    avs: values.avs,
    operator: values.operator,
    blockNumber: BigInt(values.block),
    payload,
    ahead: Number(values["sign-ahead"]),
  });
  signedDuringLoad = tasks.signedDuringLoad;
  send = () => client.submitTask(tasks.next(), deadline());
  close = client.close;
} else {
  const performer = connectPerformer(address);
  send = () => performer.executeTask({ task_id: Buffer.from(taskId()), payload }, deadline());
  close = performer.close;
}

const stats = await closedLoop({
  concurrency: Number(values.concurrency),
  warmupMs: Number(values["warmup-ms"]),
  durationMs: Number(values["duration-ms"]),
  send,
});
close();
process.stdout.write(
  `${JSON.stringify({ msg: "load result", stats: { ...stats, signedDuringLoad: signedDuringLoad() } })}\n`,
);
