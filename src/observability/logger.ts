import { type Logger, type LoggerOptions, pino } from "pino";
import { EnvironmentError } from "../cli/args.ts";

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The level named by `LOG_LEVEL` (trace…fatal), `info` when unset; an unknown name is refused, not ignored. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const level = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(level)) {
    throw new EnvironmentError(
      `LOG_LEVEL: unknown level "${env.LOG_LEVEL}"; use one of trace, debug, info, warn, error, fatal`,
    );
  }
  return level;
}

/** How log lines are written: JSON for collectors, or text for people. */
export type LogFormat = "json" | "text";

/** The fields every line has; the text format puts them first and the rest after as key=value. */
const HEAD_FIELDS = new Set(["time", "level", "name", "msg"]);

/**
 * One JSON log record as a line for people: `time LEVEL name: msg key=value …`. Strings that need it are quoted
 * (JSON-style), other values are JSON; an error's stack follows on indented lines.
 */
export function textLine(record: Record<string, unknown>): string {
  const value = (v: unknown) => (typeof v === "string" && /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v));
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, v] of Object.entries(record)) {
    if (HEAD_FIELDS.has(key)) continue;
    const error = v as { message?: unknown; stack?: unknown } | null;
    if (key === "err" && error && typeof error === "object" && typeof error.message === "string") {
      fields.push(`err=${value(error.message)}`);
      if (typeof error.stack === "string") stack = error.stack.split("\n").slice(1).join("\n");
      continue;
    }
    fields.push(`${key}=${value(v)}`);
  }
  const level = String(record.level ?? "").toUpperCase();
  const head = `${record.time} ${level.padEnd(5)} ${record.name}: ${record.msg ?? ""}`;
  return [head, ...fields].join(" ") + (stack ? `\n${stack}` : "");
}

/** A pino destination that writes each record as a text line to `out`. */
function textDestination(out: NodeJS.WritableStream): pino.DestinationStream {
  return { write: (json: string) => out.write(`${textLine(JSON.parse(json))}\n`) };
}

/**
 * Logs on stdout (or `destination`), one line per event, `name` naming the process: JSON by default, for log
 * pipelines; `format: "text"` for people reading a terminal.
 */
export function createLogger(
  name: string,
  options: { level?: string; destination?: NodeJS.WritableStream; format?: LogFormat } = {},
): Logger {
  const opts: LoggerOptions = {
    name,
    level: options.level ?? logLevelFromEnv(),
    base: { name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.format === "text") return pino(opts, textDestination(options.destination ?? process.stdout));
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}
