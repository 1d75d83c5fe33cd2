// `hourglass-operator --no-controller ...` as a process: webhooks over HTTPS and the metrics endpoints come up on
// the ports asked for, and SIGTERM stops it cleanly. No cluster: lookups are skipped.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { ensurePki, type Pki } from "../../controlplane/pki.ts";
import { reviewText } from "../../fixtures/admission/reviews.ts";
import { pprofTop } from "../../support/pprof.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const node = join(root, "node_modules", ".bin", "node");
const operator = join(root, "src", "cli", "operator.ts");

let dir: string;
let pki: Pki;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "operator-cli-"));
  pki = await ensurePki(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "info", ...extraEnv };
  delete env.KUBERNETES_SERVICE_HOST;
  delete env.KUBECONFIG;
  return spawn(node, [operator, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
}

async function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c;
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c;
  });
  const [code] = await once(child, "exit");
  return { code, stdout, stderr };
}

/** The ports the operator logs once it serves, read from its JSON log lines. */
async function servedPorts(
  child: ChildProcess,
): Promise<{ webhook: number; metrics: number; lines: string[] }> {
  const lines: string[] = [];
  let webhook: number | undefined;
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    const entry = JSON.parse(line) as { msg: string; port?: number; metricsPort?: number };
    if (entry.msg === "serving admission webhooks") webhook = entry.port;
    if (entry.metricsPort !== undefined) {
      assert.ok(webhook !== undefined, "the webhooks serve before the metrics server says ready");
      return { webhook, metrics: entry.metricsPort, lines };
    }
  }
  throw new Error(`the operator stopped before serving:\n${lines.join("\n")}`);
}

async function postReview(
  port: number,
  path: string,
  body: string,
): Promise<{ status: number; json: unknown }> {
  const ca = await readFile(pki.caCert);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", ca, headers: { "content-type": "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("--no-controller serves the webhooks and the metrics endpoints, and SIGTERM stops it with status 0", async () => {
  const child = run([
    "--no-controller",
    "--webhook-host=127.0.0.1",
    "--webhook-port=0",
    "--webhook-cert-dir",
    pki.webhookCertDir,
    "--metrics-host=127.0.0.1",
    "--metrics-port=0",
  ]);
  const exit = once(child, "exit");
  try {
    const ports = await servedPorts(child);
    const mutated = await postReview(
      ports.webhook,
      "/mutate-performer",
      reviewText("performer-minimal-create"),
    );
    assert.equal(mutated.status, 200);
    const response = (mutated.json as { response: { uid: string; allowed: boolean; patchType?: string } })
      .response;
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, "JSONPatch");

    const ready = await fetch(`http://127.0.0.1:${ports.metrics}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
    assert.match(metrics, /^hourglass_webhook_requests_total\{webhook="\/mutate-performer",code="200"\} 1$/m);
  } finally {
    child.kill("SIGTERM");
  }
  const [code] = await exit;
  assert.equal(code, 0);
});

test("--help prints the flags and exits 0", async () => {
  const { code, stdout } = await exited(run(["--help"]));
  assert.equal(code, 0);
  for (const flag of [
    "--webhook-port",
    "--webhook-cert-dir",
    "--metrics-port",
    "--kubeconfig",
    "--no-controller",
  ]) {
    assert.match(stdout, new RegExp(flag));
  }
});

test("an unknown flag or a bad port is refused with status 2, naming the flag", async () => {
  const unknown = await exited(run(["--webhook-prot=9443"]));
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--webhook-prot/);
  const badPort = await exited(run(["--metrics-port=80a"]));
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /--metrics-port: "80a" is not a port/);
  const noWorkers = await exited(run(["--workers=0"]));
  assert.equal(noWorkers.code, 2);
  assert.match(noWorkers.stderr, /--workers: "0" is not a worker count; give a number from 1 to 64/);
});

test("a certificate directory without certificates stops the start with status 1, naming the file", async () => {
  const { code, stdout } = await exited(
    run([
      "--no-controller",
      "--webhook-cert-dir",
      join(dir, "empty"),
      "--metrics-port=0",
      "--webhook-port=0",
    ]),
  );
  assert.equal(code, 1);
  assert.match(stdout, /empty\/tls\.(crt|key)/);
});

test("ENABLE_PROFILING=1 serves pprof CPU and heap profiles on loopback; without it nothing listens there", async () => {
  const args = [
    "--no-controller",
    "--no-webhooks",
    "--metrics-host=127.0.0.1",
    "--metrics-port=0",
    "--profiling-port=0",
  ];
  const child = run(args, { ENABLE_PROFILING: "1" });
  const exit = once(child, "exit");
  try {
    let profilingPort: number | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      const entry = JSON.parse(line) as { profilingPort?: number; metricsPort?: number };
      profilingPort ??= entry.profilingPort;
      if (entry.metricsPort !== undefined) break;
    }
    assert.ok(profilingPort, "the operator did not log its profiling port");
    const base = `http://127.0.0.1:${profilingPort}/debug/pprof`;
    assert.match(await pprofTop(`${base}/profile?seconds=1`), /^Type: wall$/m);
    assert.match(await pprofTop(`${base}/heap`), /^Type: inuse_space$/m);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal((await exit)[0], 0);

  const plain = run(args);
  const plainExit = once(plain, "exit");
  const lines: string[] = [];
  for await (const line of createInterface({ input: plain.stdout! })) {
    lines.push(line);
    if (line.includes("metricsPort")) break;
  }
  plain.kill("SIGTERM");
  await plainExit;
  assert.ok(
    !lines.some((line) => line.includes("profilingPort")),
    "profiles served without ENABLE_PROFILING",
  );
});
