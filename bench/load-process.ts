// Runs a load generator script as a child process and returns the stats it prints.
import { startNodeProcess } from "../test/support/grpc-processes.ts";
import type { LoadStats } from "./load-stats.ts";

export async function loadResult(args: string[]): Promise<LoadStats> {
  const proc = startNodeProcess(args);
  const code = await proc.exited;
  const line = proc.logs.find((l) => l.msg === "load result");
  if (code !== 0 || !line) {
    throw new Error(`${args[0]} exited with ${code} without a result; stderr:\n${proc.stderr()}`);
  }
  return line.stats as LoadStats;
}
