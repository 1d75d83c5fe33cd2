// `make dev-up MODE=docker` then `make dev-down` (scripts/dev.ts --mode docker), in a directory of its own: the
// executor runs the sample performer as a container on hourglass-network and answers a task through it, the guide's
// `docker ps -a` and `docker logs` show that container, and the teardown leaves no engine process, nft table or
// engine directory behind.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { alive } from "../controlplane/controlplane.ts";
import type { PodmanEngineRecord } from "../support/podman-engine.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const NODE_BIN = join(root, "node_modules", ".bin", "node");

describe("make dev MODE=docker", () => {
  it("runs the performer as a container that docker ps and docker logs show, and dev-down removes it all", {
    timeout: 300_000,
  }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "hourglass-dev-docker-"));
    const env = { ...process.env, HOURGLASS_LOCAL_DIR: dir };
    const dev = (args: string[]) =>
      run(NODE_BIN, [join(root, "scripts", "dev.ts"), ...args], { cwd: root, env, maxBuffer: 16 << 20 });
    const recordFile = join(dir, "dev-docker", "engine.json");
    t.after(async () => {
      // A failed assertion must not leave the engine running.
      if (existsSync(recordFile)) await dev(["--down"]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    });

    const { stdout } = await dev(["--mode", "docker", "--detach"]);
    assert.match(stdout, /the aggregator's check accepts it: both signatures recover to the operator's key/);
    assert.match(
      stdout,
      /\$ (docker|podman) ps -a\n.*\n.*127\.0\.0\.1:\d+->9090\/tcp\s+avs-performer-[0-9a-f]{6}-\d+/,
    );
    assert.match(stdout, /\$ (docker|podman) logs --tail 5 avs-performer-\S+\n.*"msg":"listening"/);
    assert.match(stdout, /hourglass-network/);
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as PodmanEngineRecord;
    assert.ok(record.pid !== undefined && alive(record.pid), "the engine runs detached");

    const down = await dev(["--down"]);
    assert.match(down.stdout, /dev environment stopped/);
    assert.equal(alive(record.pid!), false, "the engine's service is stopped");
    assert.equal(existsSync(record.dir), false, "the engine's directory is gone");
    assert.equal(existsSync(recordFile), false);
    const { stdout: tables } = await run("nft", ["list", "tables"]);
    assert.doesNotMatch(tables, new RegExp(record.table), "the engine's nft table is gone");
    assert.equal(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(), record.forwardBefore);
  });
});
