// The machine-wide lock on the node's host-global resources (the bridge and its subnet, CoreDNS's address, the
// nft tables, the cgroup root, /run/containerd): test runs of other worktrees and `make dev` take turns instead of
// colliding. util-linux's flock holds it in a child process group of its own, so it goes with its holder: when the
// holder dies, even by SIGKILL, the stdin of flock's `cat` closes, both end and the kernel releases the lock. A
// detached node (make dev-up) holds it in a `sleep` whose group `--down` stops. Beside the lock, a record says who
// holds it.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export const NODE_LOCK = "/run/lock/hourglass-node.lock";
/** Who holds the lock (empty when nobody does), for whoever waits. */
export const NODE_LOCK_HOLDER = "/run/lock/hourglass-node.holder";
const HOLDER = NODE_LOCK_HOLDER;

export interface NodeLock {
  /** The flock process, leader of its process group: what `--down` of a detached node stops. */
  pid: number;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Who asks, for the message another waiter sees (a directory, a command). */
  owner: string;
  /** Keep the lock after this process exits (make dev-up). */
  detached?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Told once, when the lock is busy, who holds it. */
  onWait?: (holder: string) => void;
}

function holderText(): string {
  return existsSync(HOLDER) ? readFileSync(HOLDER, "utf8").trim() : "unknown";
}

/** One try: resolves with the holding process, or undefined if someone else holds the lock. */
async function tryLock(detached: boolean): Promise<ChildProcess | undefined> {
  const body = detached ? "echo locked; exec sleep infinity" : "echo locked; exec cat";
  const child = spawn(
    "flock",
    ["--exclusive", "--nonblock", "--conflict-exit-code=75", NODE_LOCK, "sh", "-c", body],
    {
      stdio: ["pipe", "pipe", "inherit"],
      detached: true,
    },
  );
  const locked = new Promise<boolean>((resolve) => {
    child.stdout!.once("data", () => resolve(true));
    child.once("exit", () => resolve(false));
  });
  if (await locked) return child;
  return undefined;
}

/** Waits for the node lock (30 minutes by default: another run's node tests take a few). */
export async function acquireNodeLock(options: LockOptions): Promise<NodeLock> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  let told = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const child = await tryLock(options.detached ?? false);
    if (child) {
      await writeFile(HOLDER, `${options.owner} (pid ${process.pid}, since ${new Date().toISOString()})\n`);
      if (options.detached) child.unref();
      const exited = once(child, "exit");
      return {
        pid: child.pid!,
        async release() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          await writeFile(HOLDER, "");
          releaseDetachedLock(child.pid!);
          await exited;
        },
      };
    }
    if (!told) {
      options.onWait?.(holderText());
      told = true;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the local node's lock ${NODE_LOCK} is still held by ${holderText()}; if that is a \`make dev-up\`, \`make dev-down\` there releases it`,
      );
    }
    await sleep(2000, undefined, { signal: options.signal });
  }
}

/** Releases a lock held by a detached holder, from another process (make dev-down). */
export function releaseDetachedLock(pid: number): void {
  // Only a group led by our flock: a PID reused since must not be signalled.
  const argv = (() => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      return [];
    }
  })();
  if (argv[0] !== "flock" || !argv.includes(NODE_LOCK)) return;
  // Still ours: the record goes first, so that it never names a holder that is gone (nor the next one's is lost).
  writeFileSync(HOLDER, "");
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already released
  }
}
