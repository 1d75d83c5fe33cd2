import { type Logger, type LoggerOptions, pino } from "pino";

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** The level named by `LOG_LEVEL` (trace…fatal), `info` when unset; an unknown name is refused, not ignored. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const level = (env.LOG_LEVEL ?? "info").toLowerCase();
  if (!LEVELS.has(level)) {
    throw new Error(
      `LOG_LEVEL: unknown level "${env.LOG_LEVEL}" (use one of trace, debug, info, warn, error, fatal)`,
    );
  }
  return level;
}

/** JSON logs on stdout (or `destination`), one line per event, `name` naming the process. */
export function createLogger(
  name: string,
  options: { level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const opts: LoggerOptions = {
    name,
    level: options.level ?? logLevelFromEnv(),
    base: { name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}
