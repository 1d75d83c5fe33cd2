// The operator's plain-HTTP side (port 8080): Prometheus metrics, liveness and readiness. Readiness is a list of
// named checks that the parts of the process add as they start (the controller adds "informers synced"), and
// /readyz answers as the apiserver's own does: one `[+]name ok` / `[-]name failed: why` line per check.
import type { Registry } from "prom-client";
import { type HttpReply, type RunningHttpServer, serveHttp } from "./http-server.ts";

/** True when ready; false or a thrown error (its message shown) when not. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** One readiness check's outcome as /readyz lists it. */
export interface CheckResult {
  name: string;
  ok: boolean;
  reason?: string;
}

/** The named checks /readyz runs, added by each part of the process as it starts. */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check called `name`. */
  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  /** Runs every check at once; a check that throws fails with its message. */
  async evaluate(): Promise<CheckResult[]> {
    return Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        try {
          return (await check()) ? { name, ok: true } : { name, ok: false, reason: "not ready" };
        } catch (err) {
          return { name, ok: false, reason: (err as Error).message };
        }
      }),
    );
  }
}

/** The /readyz body and status for `results`: 200 when every check passes (or there are none), else 503. */
export function readinessReply(results: readonly CheckResult[], verbose: boolean): HttpReply {
  const ready = results.every((r) => r.ok);
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`));
  const body =
    ready && !verbose
      ? "ok\n"
      : `${[...lines, ready ? "readyz check passed" : "readyz check failed"].join("\n")}\n`;
  return { status: ready ? 200 : 503, contentType: "text/plain; charset=utf-8", body };
}

/** Where the operator's metrics server listens, and the registry and checks it serves. */
export interface MetricsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry: Registry;
  readiness: Readiness;
}

/** Serves /metrics, /healthz and /readyz for the operator. */
export function startMetricsServer(options: MetricsServerOptions): Promise<RunningHttpServer> {
  const { registry, readiness } = options;
  return serveHttp(options.host, options.port, {
    "/metrics": async () => ({
      status: 200,
      contentType: registry.contentType,
      body: await registry.metrics(),
    }),
    // Liveness: the event loop answers. Nothing else belongs here; a failing dependency must not restart the Pod.
    "/healthz": async () => ({ status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n" }),
    "/readyz": async (query) => readinessReply(await readiness.evaluate(), query.has("verbose")),
  });
}
