// A child's resource use, from /proc: peak resident set (VmHWM) and CPU time (user + system) so far.
import { readFileSync } from "node:fs";

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat; 100 on every Linux architecture we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  peakRssMiB: number;
  cpuSeconds: number;
}

export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwmKiB = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMiB: hwmKiB / 1024, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}
