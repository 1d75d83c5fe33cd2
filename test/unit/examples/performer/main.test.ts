import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const MAIN = join(import.meta.dirname, "..", "..", "..", "..", "examples", "performer", "main.ts");
const run = promisify(execFile);

test("--help prints each flag with its environment variable and exits 0, serving nothing", async () => {
  const { stdout } = await run(process.execPath, [MAIN, "--help"], { timeout: 30_000 });
  for (const [flag, variable] of [
    ["--grpc-port", "PERFORMER_GRPC_PORT"],
    ["--health-port", "PERFORMER_HEALTH_PORT"],
    ["--host", "PERFORMER_HOST"],
    ["--delay-ms", "PERFORMER_DELAY_MS"],
  ]) {
    assert.match(stdout, new RegExp(`${flag} .*\\(${variable};`));
  }
  assert.doesNotMatch(stdout, /listening/);
});

test("an unknown flag is refused, naming it", async () => {
  await assert.rejects(
    run(process.execPath, [MAIN, "--grpc"], { timeout: 30_000 }),
    (error: Error & { code?: number; stderr?: string }) => {
      assert.notEqual(error.code, 0);
      assert.match(error.stderr ?? "", /Unknown option '--grpc'/);
      return true;
    },
  );
});
