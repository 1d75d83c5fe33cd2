// What `hourglass doctor` reports: one finding per problem, in the troubleshooting guide's words, with the exact
// command or change that fixes it.

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

export const HEALTHY_EXIT_CODE = 0;
export const FINDINGS_EXIT_CODE = 1;

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

export function findingsJson(
  findings: readonly Finding[],
  checked: readonly string[],
  performers: readonly object[],
): string {
  return `${JSON.stringify({ healthy: findings.length === 0, checked, performers, findings }, null, 2)}\n`;
}
