// A finding about user input: where it is (a dotted field path such as `spec.resources.requests.cpu`, or a YAML
// path such as `performer_config.default_port`), what is wrong and how to fix it. Validators collect every
// problem instead of stopping at the first, so that one run tells the user everything to fix.
/** Whether a problem refuses the input (error) or only tells the user (warning). */
export type Severity = "error" | "warning";

/** One finding about user input: where it is, what is wrong and how to fix it. */
export interface Problem {
  path: string;
  message: string;
  severity: Severity;
  /** 1-based line in the source document, when the input came from YAML. */
  line?: number;
}

/** A problem that refuses the input. */
export function error(path: string, message: string): Problem {
  return { path, message, severity: "error" };
}

/** A problem that is reported but lets the input through. */
export function warning(path: string, message: string): Problem {
  return { path, message, severity: "warning" };
}

/** The problems that refuse the input. */
export function errorsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "error");
}

/** The problems that only warn. */
export function warningsOf(problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => p.severity === "warning");
}

/** `path: message`, or `path (line N): message` when the line is known. */
export function formatProblem(p: Problem): string {
  return p.line === undefined ? `${p.path}: ${p.message}` : `${p.path} (line ${p.line}): ${p.message}`;
}

const SHOWN_MAX = 64;

/**
 * A value as a message quotes it: strings JSON-quoted and cut to 64 characters, structures named rather than
 * dumped, so that a denial, and the log line recording it, neither grows with hostile input nor carries the whole
 * of a secret pasted into the wrong field.
 */
export function shown(value: unknown): string {
  if (typeof value === "string") {
    return value.length <= SHOWN_MAX
      ? JSON.stringify(value)
      : `${JSON.stringify(`${value.slice(0, SHOWN_MAX - 3)}...`)} (${value.length} characters)`;
  }
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}
