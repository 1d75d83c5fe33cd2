// The task ids this executor has answered, so that it never signs a task twice (Hourglass's
// IsTaskProcessed/MarkTaskProcessed): in memory by default, or in an SQLite file (node:sqlite) so that a
// restart keeps refusing them. Bounded: entries older than the retention expire, and past the size limit the
// oldest go first.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** The ids of tasks this executor has answered, so that none is signed twice. */
export interface TaskStore {
  isProcessed(taskId: string): boolean;
  markProcessed(taskId: string): void;
  close(): void;
}

/** How long and how many answered ids a task store keeps. */
export interface TaskStoreLimits {
  /** How long an answered id is kept (default 7 days: far beyond any task's life). */
  retentionMs?: number;
  /** At most this many ids (default 1,000,000). */
  maxEntries?: number;
  now?: () => number;
}

const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
const DEFAULT_MAX_ENTRIES = 1_000_000;

/** Task ids are case-insensitive hex; one spelling per task. */
const keyOf = (taskId: string) => taskId.toLowerCase();

/** A task store in memory (storage.type memory, the default): a restart forgets the answered ids. */
export function memoryTaskStore(limits: TaskStoreLimits = {}): TaskStore {
  const retentionMs = limits.retentionMs ?? DEFAULT_RETENTION_MS;
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = limits.now ?? Date.now;
  // Insertion order is processing order, so the first entries are the oldest.
  const processedAt = new Map<string, number>();
  const expire = () => {
    const cutoff = now() - retentionMs;
    for (const [id, at] of processedAt) {
      if (at > cutoff && processedAt.size <= maxEntries) break;
      processedAt.delete(id);
    }
  };
  return {
    isProcessed(taskId) {
      const at = processedAt.get(keyOf(taskId));
      return at !== undefined && at > now() - retentionMs;
    },
    markProcessed(taskId) {
      processedAt.delete(keyOf(taskId));
      processedAt.set(keyOf(taskId), now());
      expire();
    },
    close() {
      processedAt.clear();
    },
  };
}

/** A task store in an SQLite file, so that a restarted executor keeps refusing tasks it answered. */
export function sqliteTaskStore(path: string, limits: TaskStoreLimits = {}): TaskStore {
  const retentionMs = limits.retentionMs ?? DEFAULT_RETENTION_MS;
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const now = limits.now ?? Date.now;
  mkdirSync(dirname(path), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS processed_tasks (task_id TEXT PRIMARY KEY, processed_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS processed_tasks_at ON processed_tasks (processed_at);`);
  } catch (error) {
    throw new Error(`storage: cannot open the task store ${path}: ${(error as Error).message}`);
  }
  const select: StatementSync = db.prepare("SELECT processed_at FROM processed_tasks WHERE task_id = ?");
  const upsert = db.prepare(
    "INSERT INTO processed_tasks (task_id, processed_at) VALUES (?, ?) ON CONFLICT (task_id) DO UPDATE SET processed_at = excluded.processed_at",
  );
  const expireOld = db.prepare("DELETE FROM processed_tasks WHERE processed_at <= ?");
  const count = db.prepare("SELECT COUNT(*) AS n FROM processed_tasks");
  const trim = db.prepare(
    "DELETE FROM processed_tasks WHERE task_id IN (SELECT task_id FROM processed_tasks ORDER BY processed_at LIMIT ?)",
  );
  let insertsSinceTrim = 0;
  const expire = () => {
    expireOld.run(now() - retentionMs);
    const { n } = count.get() as { n: number };
    if (n > maxEntries) trim.run(n - maxEntries);
  };
  expire();
  return {
    isProcessed(taskId) {
      const row = select.get(keyOf(taskId)) as { processed_at: number } | undefined;
      return row !== undefined && row.processed_at > now() - retentionMs;
    },
    markProcessed(taskId) {
      upsert.run(keyOf(taskId), now());
      // Expiring is a scan of the index's head: every 256 inserts keeps it cheap and the bound close.
      if (++insertsSinceTrim >= 256 || maxEntries < 256) {
        insertsSinceTrim = 0;
        expire();
      }
    },
    close() {
      db.close();
    },
  };
}
