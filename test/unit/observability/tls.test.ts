// Certificate reload when the directory cannot be watched (inotify exhausted, or a path that is not there yet):
// the watcher says so and keeps polling instead of failing the server's start.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { watchTlsCredentials } from "../../../src/observability/tls.ts";

test("a directory that cannot be watched is reported, and polling takes over", () => {
  const errors: string[] = [];
  const dir = join(import.meta.dirname, "..", "no-such-cert-dir");
  const watch = watchTlsCredentials(
    dir,
    { cert: Buffer.from(""), key: Buffer.from("") },
    { onChange: () => {}, onError: (err) => errors.push(err.message), pollIntervalMs: 60_000 },
  );
  watch.close();
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? "", /cannot watch .*no-such-cert-dir .*checking every poll interval instead/);
});
