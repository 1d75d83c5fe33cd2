// The plain-HTTP servers' close(): a request that would take minutes (a long CPU profile) must not hold a
// shutdown, while a quick one in progress still gets its answer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonReply, serveHttp } from "../../../src/observability/http-server.ts";

test("close() answers requests in progress that finish in time and cuts off one that would not", async () => {
  let started = 0;
  let answerQuick: () => void = () => {};
  const server = await serveHttp("127.0.0.1", 0, {
    "/quick": () =>
      new Promise((resolve) => {
        started++;
        answerQuick = () => resolve(jsonReply(200, { ok: true }));
      }),
    "/forever": () => {
      started++;
      return new Promise(() => {});
    },
  });
  const base = `http://127.0.0.1:${server.port}`;
  const quick = fetch(`${base}/quick`);
  const forever = fetch(`${base}/forever`).then(
    () => "answered",
    () => "cut off",
  );
  while (started < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const closing = server.close();
  answerQuick();
  assert.equal((await quick).status, 200);
  await closing; // without the cut-off this never resolves, and the test times out
  assert.equal(await forever, "cut off");
});
