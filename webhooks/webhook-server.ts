// The admission webhooks over HTTPS, with the serving certificate swapped in place when its files are renewed:
// connections already open keep their session, new handshakes get the new certificate, nothing restarts.
import type { AddressInfo } from "node:net";
import type { Server as TlsServer } from "node:tls";
import type { Logger } from "pino";
import { errorLogFields } from "../src/kube/api-errors.ts";
import { readTlsCredentials, SERVING_TLS, watchTlsCredentials } from "../src/observability/tls.ts";
import { admissionApp, type Webhook } from "./admission-app.ts";
import type { WebhookMetrics } from "./webhook-metrics.ts";

/** Where the webhook server listens, its certificate directory, and what it serves. */
export interface WebhookServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Holds tls.crt and tls.key. */
  certDir: string;
  webhooks: readonly Webhook[];
  metrics: WebhookMetrics;
  logger: Logger;
  /** How often the certificate files are re-read without a file event. */
  certPollIntervalMs?: number;
}

/** A started webhook server: its port and its graceful close. */
export interface RunningWebhookServer {
  port: number;
  /** Stops accepting connections and resolves when the reviews in flight are answered. */
  close(): Promise<void>;
}

/** Serves the webhooks over HTTPS, taking a renewed serving certificate in place without a restart. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const { logger } = options;
  const credentials = await readTlsCredentials(options.certDir);
  const app = admissionApp({
    webhooks: options.webhooks,
    metrics: options.metrics,
    logger,
    https: { ...credentials, ...SERVING_TLS },
  });
  await app.listen({ host: options.host, port: options.port });
  const server = app.server as unknown as TlsServer;
  const certWatch = watchTlsCredentials(options.certDir, credentials, {
    onChange(next) {
      server.setSecureContext({ ...next, ...SERVING_TLS });
      logger.info({ certDir: options.certDir }, "serving the renewed webhook certificate");
    },
    onError(err) {
      logger.warn(
        { certDir: options.certDir, ...errorLogFields(err) },
        "keeping the current webhook certificate",
      );
    },
    ...(options.certPollIntervalMs === undefined ? {} : { pollIntervalMs: options.certPollIntervalMs }),
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { host: options.host, port, paths: options.webhooks.map((w) => w.path) },
    "serving admission webhooks",
  );
  return {
    port,
    async close() {
      certWatch.close();
      await app.close();
    },
  };
}
