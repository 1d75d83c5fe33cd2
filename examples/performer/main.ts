// The sample performer: serves PerformerService (see performer-service.ts for what it computes) and
// grpc.health.v1.Health on the gRPC port, as Hourglass's executor expects of a performer, and `GET /health` on the
// health port, as the Performer's default HTTP probe expects.
//
//   node examples/performer/main.ts [--grpc-port 9090] [--health-port 8090] [--host 0.0.0.0] [--delay-ms 0]
//
// Each flag can also come from the environment: PERFORMER_GRPC_PORT, PERFORMER_HEALTH_PORT, PERFORMER_HOST,
// PERFORMER_DELAY_MS. Port 0 picks a free port; the bound ports are logged in the "listening" line.

import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { PERFORMER_SERVICE_NAME, performerProtos, performerService } from "../../src/grpc/protos.ts";
import { startGrpcServer } from "../../src/grpc/server.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { samplePerformer } from "./performer-service.ts";

const SHUTDOWN_GRACE_MS = 10_000;

function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`--${name}: "${value}" is not a non-negative integer`);
  }
  return parsed;
}

const USAGE = `Usage: node examples/performer/main.ts [flags]

Serves PerformerService and grpc.health.v1.Health on the gRPC port and GET /health on the health port.

Flags (each also from the environment):
  --grpc-port N     gRPC port (PERFORMER_GRPC_PORT; default 9090; 0 picks a free one)
  --health-port N   HTTP health port (PERFORMER_HEALTH_PORT; default 8090; 0 picks a free one)
  --host ADDR       address to bind (PERFORMER_HOST; default 0.0.0.0)
  --delay-ms N      wait this long before answering each task (PERFORMER_DELAY_MS; default 0)
  --help            print this and exit
`;

const { values } = parseArgs({
  options: {
    "grpc-port": { type: "string" },
    "health-port": { type: "string" },
    host: { type: "string" },
    "delay-ms": { type: "string" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const env = process.env;
const host = values.host ?? env.PERFORMER_HOST ?? "0.0.0.0";
const grpcPort = integerOption("grpc-port", values["grpc-port"] ?? env.PERFORMER_GRPC_PORT, 9090);
const healthPort = integerOption("health-port", values["health-port"] ?? env.PERFORMER_HEALTH_PORT, 8090);
const delayMs = integerOption("delay-ms", values["delay-ms"] ?? env.PERFORMER_DELAY_MS, 0);

const log = createLogger("example-performer");
const performer = samplePerformer({ delayMs });
const grpc = await startGrpcServer({
  host,
  port: grpcPort,
  protos: performerProtos,
  services: [
    { name: PERFORMER_SERVICE_NAME, definition: performerService, implementation: performer.implementation },
  ],
});

let stopping = false;

const health = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    // The same answer as grpc.health.v1: SERVING until SIGTERM; and how many tasks it is running.
    const status = stopping ? "NOT_SERVING" : "SERVING";
    res.writeHead(stopping ? 503 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status, inFlight: performer.inFlight() }));
    return;
  }
  res.writeHead(404).end();
});
health.listen(healthPort, host);
await once(health, "listening");

log.info({ grpcPort: grpc.port, healthPort: (health.address() as AddressInfo).port, delayMs }, "listening");

process.once("SIGTERM", async () => {
  log.info({ inFlight: performer.inFlight() }, "SIGTERM: finishing tasks in progress");
  stopping = true;
  await grpc.shutdown(SHUTDOWN_GRACE_MS);
  health.close();
  health.closeAllConnections();
});
