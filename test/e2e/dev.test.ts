// `make dev` (scripts/dev.ts) as a developer runs it, in a directory of its own (HOURGLASS_LOCAL_DIR) and on a
// webhook port the test picks: a busy port is refused before anything starts, and Ctrl-C with the output piped
// into a `tee` that the same Ctrl-C ends stops the control plane and the node it had started.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { alive, freePort } from "../controlplane/controlplane.ts";
import { isRunning, NODE_RECORD, type NodeRecord } from "../controlplane/node-host.ts";

const root = join(import.meta.dirname, "..", "..");
const NODE_BIN = join(root, "node_modules", ".bin", "node");

async function devDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hourglass-dev-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function dev(localDir: string, webhookPort: number) {
  return spawn(NODE_BIN, [join(root, "scripts", "dev.ts")], {
    cwd: root,
    env: { ...process.env, HOURGLASS_LOCAL_DIR: localDir, HOURGLASS_DEV_WEBHOOK_PORT: String(webhookPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("make dev", () => {
  it("refuses a busy webhook port before starting anything, with a message instead of a stack trace", async (t) => {
    const dir = await devDir(t);
    const holder = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => holder.close(resolve)));
    const child = dev(dir, port);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const [code] = await once(child, "exit");
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
    assert.equal(existsSync(join(dir, "controlplane", "state.json")), false, "no control plane was started");
  });

  it("Ctrl-C with the output piped stops the control plane and the node it started", {
    timeout: 600_000,
  }, async (t) => {
    const dir = await devDir(t);
    const child = dev(dir, await freePort());
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = once(child, "exit");
    const lines = createInterface({ input: child.stdout });
    let controlPlanePids: number[] = [];
    let nodeRecord: NodeRecord | undefined;
    for await (const line of lines) {
      if (line.startsWith("control plane:")) {
        const state = JSON.parse(readFileSync(join(dir, "controlplane", "state.json"), "utf8"));
        controlPlanePids = Object.values(state.pids as Record<string, number>);
      }
      if (/^node \S+ Ready/.test(line)) {
        nodeRecord = JSON.parse(readFileSync(NODE_RECORD, "utf8")) as NodeRecord;
        break;
      }
    }
    assert.ok(nodeRecord, `the node never became Ready; stderr:\n${stderr}`);
    assert.ok(controlPlanePids.length >= 3);
    // What a terminal does on Ctrl-C under `| tee`: SIGINT to every process of the pipeline, so tee is gone and
    // the pipe is closed while dev.ts cleans up.
    child.stdout.destroy();
    child.kill("SIGINT");
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.deepEqual(controlPlanePids.filter(alive), [], "control-plane processes left");
    assert.deepEqual(
      Object.entries(nodeRecord.processes).filter(([, ref]) => isRunning(ref)),
      [],
      "node processes left",
    );
    const record = existsSync(NODE_RECORD)
      ? (JSON.parse(readFileSync(NODE_RECORD, "utf8")) as NodeRecord)
      : undefined;
    assert.notEqual(record?.dir, nodeRecord.dir, "the node's record was not cleared");
  });
});
