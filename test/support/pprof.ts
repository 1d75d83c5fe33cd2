// Reads a profile as Go's tooling does: `go tool pprof -top` on the URL, the check that a profile is really in
// pprof format (Go's toolchain is on every development machine: it builds the local control plane).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** The output of `go tool pprof -top URL`; rejects, with pprof's stderr, when pprof cannot read it. */
export async function pprofTop(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)("go", ["tool", "pprof", "-top", url], {
    timeout: 120_000,
    env: { ...process.env, PPROF_TMPDIR: process.env.TMPDIR ?? "/tmp" },
  });
  return stdout;
}
