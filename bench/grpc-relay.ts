// Child process: the least an executor can be on this stack. It serves ExecutorService.SubmitTask with the same
// gRPC server setup as the executor and passes each task to the performer over one channel, as the executor
// does, but routes, limits, retries, signs and measures nothing. The routing benchmark sets it beside the
// executor: what separates the relay from a direct call is the cost of the extra gRPC hop on this machine;
// what separates the executor from the relay is the executor's own work.
//
//   node bench/grpc-relay.ts --performer HOST:PORT      (logs {"msg":"relay serving","port":N})

import { parseArgs } from "node:util";
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { connectPerformer } from "../src/executor/performer-connection.ts";
import type { TaskResult, TaskSubmission } from "../src/grpc/messages.ts";
import { EXECUTOR_SERVICE_NAME, executorProtos, executorService } from "../src/grpc/protos.ts";
import { startGrpcServer } from "../src/grpc/server.ts";

const { values } = parseArgs({ options: { performer: { type: "string" } } });
if (!values.performer) throw new Error("usage: grpc-relay.ts --performer HOST:PORT");
const performer = connectPerformer(values.performer);

const server = await startGrpcServer({
  host: "127.0.0.1",
  port: 0,
  protos: executorProtos,
  services: [
    {
      name: EXECUTOR_SERVICE_NAME,
      definition: executorService,
      implementation: {
        SubmitTask(call: ServerUnaryCall<TaskSubmission, TaskResult>, callback: sendUnaryData<TaskResult>) {
          const { task_id, avs_address, payload, operator_set_id, version } = call.request;
          const taskIdBytes = call.request.taskIdBytes ?? Buffer.from(task_id);
          performer.executeTask({ task_id: taskIdBytes, payload }, new Date(Date.now() + 30_000)).then(
            (response) =>
              callback(null, {
                task_id,
                taskIdBytes: response.task_id,
                avs_address,
                operator_address: "",
                output: response.result,
                result_signature: Buffer.alloc(0),
                auth_signature: Buffer.alloc(0),
                operator_set_id,
                version,
              }),
            (error) => callback(error),
          );
        },
      },
    },
  ],
});
process.stdout.write(`${JSON.stringify({ msg: "relay serving", port: server.port })}\n`);
process.once("SIGTERM", async () => {
  await server.shutdown(5_000);
  performer.close();
});
