// Go's time.ParseDuration grammar, which Hourglass configs and NETWORK_TIMEOUT use: "30s", "1m30s", "250ms", "1.5h".
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds, or undefined when `text` is not a Go duration (a bare number has no unit and is refused, as in Go). */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return text.length > 0 ? ms : undefined;
}
