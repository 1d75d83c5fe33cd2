// Child process: POSTs one AdmissionReview body over keep-alive HTTPS connections in a closed loop and prints
// {"msg":"load result","stats":{...}} on stdout. Run apart from the server so that the two do not share an
// event loop. The server's certificate is checked against the given CA, as the apiserver checks the caBundle.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { parseArgs } from "node:util";
import { closedLoop } from "./closed-loop.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    body: { type: "string" },
    ca: { type: "string" },
    concurrency: { type: "string" },
    "warmup-ms": { type: "string", default: "1000" },
    "duration-ms": { type: "string", default: "5000" },
    // A handshake per request, as while certificates rotate: each sees the server's certificate of the moment.
    "new-connections": { type: "boolean", default: false },
  },
});
if (!values.url || !values.body || !values.ca || !values.concurrency) {
  throw new Error("usage: https-load.ts --url URL --body FILE --ca FILE --concurrency N");
}
const url = new URL(values.url);
const body = readFileSync(values.body);
const concurrency = Number(values.concurrency);
const agent = new Agent({
  keepAlive: !values["new-connections"],
  maxSockets: concurrency,
  ca: readFileSync(values.ca),
});

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            response?: { uid?: string };
          };
          if (res.statusCode === 200 && review.response?.uid) resolve();
          else reject(new Error(`status ${res.statusCode}`));
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const stats = await closedLoop({
  concurrency,
  warmupMs: Number(values["warmup-ms"]),
  durationMs: Number(values["duration-ms"]),
  send: post,
});
agent.destroy();
process.stdout.write(`${JSON.stringify({ msg: "load result", stats })}\n`);
