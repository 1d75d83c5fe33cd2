// What `hourglass doctor` reports: one finding per problem, in the troubleshooting guide's words, with the exact
// command or change that fixes it.

/** One problem `hourglass doctor` found, with the guide's section and the fix. */
export interface Finding {
  /** The guide's section the problem belongs to, e.g. "RBAC", "Performer", "Configuration". */
  check: string;
  /** The object concerned, `kind/name` with its namespace: "performer/my-avs -n my-avs-project". */
  object: string;
  /** What is wrong, quoting the cluster (the apiserver's or kubelet's own message) where it has one. */
  problem: string;
  /** What to run or change. */
  fix: string;
}

/** `hourglass doctor`'s exit code when it found nothing. */
export const HEALTHY_EXIT_CODE = 0;
/** `hourglass doctor`'s exit code when it found any problem, so that scripts can act on it. */
export const FINDINGS_EXIT_CODE = 1;

/** `hourglass doctor`'s exit code for its findings. */
export function exitCodeOf(findings: readonly Finding[]): number {
  return findings.length === 0 ? HEALTHY_EXIT_CODE : FINDINGS_EXIT_CODE;
}

/** The report for people: each finding as problem, then its fix, indented; a last line that sums up. */
export function findingsText(findings: readonly Finding[], checked: readonly string[]): string {
  const lines = findings.flatMap((f) => [`[${f.check}] ${f.object}: ${f.problem}`, `  fix: ${f.fix}`]);
  const summary =
    findings.length === 0
      ? `healthy: no problems found (checked ${checked.join(", ")})`
      : `${findings.length} problem${findings.length === 1 ? "" : "s"} found (checked ${checked.join(", ")})`;
  return `${[...lines, summary].join("\n")}\n`;
}

/** The report for programs (--output json): healthy or not, what was checked, the Performers and the
 * findings. */
export function findingsJson(
  findings: readonly Finding[],
  checked: readonly string[],
  performers: readonly object[],
): string {
  return `${JSON.stringify({ healthy: findings.length === 0, checked, performers, findings }, null, 2)}\n`;
}
