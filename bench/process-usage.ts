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

/** The whole machine's CPU time so far, busy and idle (iowait counts as idle), in ticks. */
export interface MachineCpu {
  busy: number;
  idle: number;
}

export function machineCpu(): MachineCpu {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return { idle, busy: ticks.reduce((sum, n) => sum + n, 0) - idle };
}

/** How busy every core together was between two readings, in percent: near 100, the machine was the limit. */
export function busyPercent(from: MachineCpu, to: MachineCpu): number {
  const busy = to.busy - from.busy;
  return (100 * busy) / (busy + to.idle - from.idle);
}
