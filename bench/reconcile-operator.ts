// Child process: the Performer controller alone (no webhooks, no leader election), with a resync the benchmark
// starts itself (SIGUSR2) beside the periodic one, and /metrics on a free port so that the benchmark can see when
// reconciles settle. Logs {"msg":"controller ready","metricsPort":N} once its informers have synced.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { collectDefaultMetrics, Registry } from "prom-client";
import { startPerformerController } from "../controllers/manager.ts";
import { loadKubeConfig } from "../src/kube/kubeconfig.ts";
import { createLogger } from "../src/observability/logger.ts";
import { Readiness, startMetricsServer } from "../src/observability/metrics-server.ts";

const USAGE = "usage: reconcile-operator.ts --kubeconfig FILE --resync-ms N";
const { values } = parseArgs({
  options: { kubeconfig: { type: "string" }, "resync-ms": { type: "string" }, help: { type: "boolean" } },
});
// --help, having loaded every module: what fills the compile cache (reconcile.ts) as the image's is filled.
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.kubeconfig || !values["resync-ms"]) throw new Error(USAGE);
const logger = createLogger("hourglass-operator");
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const controller = startPerformerController({
  kubeConfig: loadKubeConfig({ kubeconfig: values.kubeconfig }),
  registry,
  logger,
  leaderElect: false,
  resyncPeriodMs: Number(values["resync-ms"]),
});
const metrics = await startMetricsServer({
  host: "127.0.0.1",
  port: 0,
  registry,
  readiness: new Readiness(),
});
while (!controller.ready()) await sleep(50);
logger.info({ metricsPort: metrics.port }, "controller ready");
process.on("SIGUSR2", () => controller.resync());
process.on("SIGTERM", () => controller.stop().then(() => metrics.close().then(() => process.exit(0))));
