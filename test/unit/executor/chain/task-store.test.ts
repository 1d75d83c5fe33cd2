import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  memoryTaskStore,
  sqliteTaskStore,
  type TaskStoreLimits,
} from "../../../../src/executor/chain/task-store.ts";

const ID = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function dbPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "task-store-"));
  dirs.push(dir);
  return join(dir, "sub", "tasks.db");
}

const kinds = {
  memory: async (limits: TaskStoreLimits) => memoryTaskStore(limits),
  sqlite: async (limits: TaskStoreLimits) => sqliteTaskStore(await dbPath(), limits),
};

for (const [kind, open] of Object.entries(kinds)) {
  describe(`${kind} task store`, () => {
    it("remembers answered ids, whatever the hex case", async () => {
      const store = await open({});
      assert.equal(store.isProcessed(ID(1)), false);
      store.markProcessed(ID(1).toUpperCase().replace("0X", "0x"));
      assert.equal(store.isProcessed(ID(1)), true);
      assert.equal(store.isProcessed(ID(2)), false);
      store.close();
    });

    it("forgets ids older than the retention", async () => {
      let clock = 1_000_000;
      const store = await open({ retentionMs: 1_000, now: () => clock });
      store.markProcessed(ID(1));
      clock += 999;
      assert.equal(store.isProcessed(ID(1)), true);
      clock += 2;
      assert.equal(store.isProcessed(ID(1)), false);
      store.close();
    });

    it("keeps at most maxEntries ids, dropping the oldest", async () => {
      let clock = 1;
      const store = await open({ maxEntries: 3, now: () => clock++ });
      for (let i = 1; i <= 5; i++) store.markProcessed(ID(i));
      assert.deepEqual(
        [1, 2, 3, 4, 5].map((i) => store.isProcessed(ID(i))),
        [false, false, true, true, true],
      );
      store.close();
    });
  });
}

describe("sqlite task store across restarts", () => {
  it("still refuses an id answered before the store was closed and opened again", async () => {
    const path = await dbPath();
    const first = sqliteTaskStore(path);
    first.markProcessed(ID(7));
    first.close();
    const second = sqliteTaskStore(path);
    assert.equal(second.isProcessed(ID(7)), true);
    assert.equal(second.isProcessed(ID(8)), false);
    second.close();
  });

  it("names the path when it cannot open the store", async () => {
    const path = await dbPath();
    sqliteTaskStore(path).close();
    // A directory where the database file should be.
    assert.throws(() => sqliteTaskStore(join(path, "..")), /storage: cannot open the task store .*sub/);
  });
});
