// `hourglass doctor` as a user runs it, against the test cluster: its exit code, its findings (with
// `--output json`) and what it printed; and an assertion that a finding names a problem with its fix.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import type { Finding } from "../../src/doctor/finding.ts";
import { testCluster } from "./cluster.ts";

const root = join(import.meta.dirname, "..", "..");

export interface DoctorRun {
  code: number;
  findings: Finding[];
  stdout: string;
  stderr: string;
}

export function doctor(args: string[], kubeconfig = testCluster().kubeconfigPath): Promise<DoctorRun> {
  return new Promise((resolve) => {
    execFile(
      join(root, "node_modules", ".bin", "node"),
      [join(root, "src", "cli", "hourglass.ts"), "doctor", `--kubeconfig=${kubeconfig}`, ...args],
      { maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? Number(error.code) : 0;
        const findings = args.includes("json") && stdout ? (JSON.parse(stdout).findings as Finding[]) : [];
        resolve({ code, findings, stdout, stderr });
      },
    );
  });
}

/** The finding whose problem matches `pattern` (and fix, `fix`); fails showing all the doctor printed. */
export function has(run: DoctorRun, pattern: RegExp, fix?: RegExp): Finding {
  const found = run.findings.find((f) => pattern.test(f.problem) && (!fix || fix.test(f.fix)));
  assert.ok(found, `no finding ${pattern}${fix ? ` with fix ${fix}` : ""} in:\n${run.stdout}\n${run.stderr}`);
  return found;
}
