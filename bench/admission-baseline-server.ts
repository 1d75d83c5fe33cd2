// Child process: the admission baseline. A fastify HTTPS server with the operator's TLS setup (same certificate,
// TLS 1.2 minimum, 7 MiB body limit) that answers every review on the webhook paths with a constant "allowed",
// echoing request.uid as the contract requires. What remains between it and the operator is the admission work.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { WEBHOOK_PATHS } from "../webhooks/hourglass-webhooks.ts";

const { values } = parseArgs({ options: { "cert-dir": { type: "string" } } });
if (!values["cert-dir"]) throw new Error("usage: admission-baseline-server.ts --cert-dir DIR");
const certDir = values["cert-dir"];

const app = Fastify({
  bodyLimit: 7 * 1024 * 1024,
  https: {
    cert: readFileSync(join(certDir, "tls.crt")),
    key: readFileSync(join(certDir, "tls.key")),
    minVersion: "TLSv1.2",
  },
});
for (const path of Object.values(WEBHOOK_PATHS)) {
  app.post(path, async (req) => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid: (req.body as { request?: { uid?: string } }).request?.uid ?? "", allowed: true },
  }));
}
await app.listen({ host: "127.0.0.1", port: 0 });
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ msg: "listening", port })}\n`);
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));
