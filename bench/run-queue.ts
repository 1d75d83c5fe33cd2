// How long a process's threads waited for a CPU, from the scheduler's own accounting (/proc/<pid>/task/*/schedstat:
// time on a CPU, time runnable but waiting on a run queue, and times scheduled in, in nanoseconds). On a busy
// machine a request that crosses another process waits once more for each process it wakes; this says how long.
import { readdirSync, readFileSync } from "node:fs";

/** Summed over the threads read: time on a CPU, time waiting for one, and how often they were scheduled in. */
export interface RunQueueTimes {
  cpuMs: number;
  waitMs: number;
  slices: number;
}

/** One thread's schedstat line ("<on cpu ns> <waiting ns> <slices>"). */
export function parseSchedstat(line: string): RunQueueTimes {
  const [cpu, wait, slices] = line.trim().split(/\s+/).map(Number);
  return { cpuMs: (cpu ?? 0) / 1e6, waitMs: (wait ?? 0) / 1e6, slices: slices ?? 0 };
}

/**
 * The process's threads added up, or only its main thread (a Node process's event loop, where every request is
 * answered). Threads that ended meanwhile drop out, so compare readings of threads that live throughout.
 */
export function runQueueTimes(pid: number, mainThreadOnly = false): RunQueueTimes {
  const threads = mainThreadOnly ? [String(pid)] : readdirSync(`/proc/${pid}/task`);
  const total: RunQueueTimes = { cpuMs: 0, waitMs: 0, slices: 0 };
  for (const tid of threads) {
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const times = parseSchedstat(line);
    total.cpuMs += times.cpuMs;
    total.waitMs += times.waitMs;
    total.slices += times.slices;
  }
  return total;
}

/** `after - before`. */
export function runQueueBetween(before: RunQueueTimes, after: RunQueueTimes): RunQueueTimes {
  return {
    cpuMs: after.cpuMs - before.cpuMs,
    waitMs: after.waitMs - before.waitMs,
    slices: after.slices - before.slices,
  };
}
