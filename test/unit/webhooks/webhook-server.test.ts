// The webhook server over real TLS: a certificate signed by a CA the client trusts (IP SAN 127.0.0.1, as the
// local control plane registers it), and a renewed certificate served without a restart when the files are
// swapped the way the kubelet swaps a mounted Secret.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { Webhook } from "../../../webhooks/admission-app.ts";
import { decision } from "../../../webhooks/admission-decision.ts";
import { createWebhookMetrics } from "../../../webhooks/webhook-metrics.ts";
import { type RunningWebhookServer, startWebhookServer } from "../../../webhooks/webhook-server.ts";
import { ensurePki, type Pki } from "../../controlplane/pki.ts";
import { mountedSecretDir, swapMountedSecret } from "../../support/mounted-secret.ts";

const allowAll: Webhook = {
  path: "/validate-anything",
  resource: { group: "", resource: "configmaps" },
  decide: async () => decision([]),
};

let root: string;
let first: Pki;
let second: Pki;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "webhook-https-"));
  // Two independent CAs, each with a webhook certificate for 127.0.0.1: the "renewed" one is told apart by its
  // fingerprint, and the client trusts both.
  [first, second] = await Promise.all([ensurePki(join(root, "first")), ensurePki(join(root, "second"))]);
});
after(() => rm(root, { recursive: true, force: true }));

interface Served {
  status: number;
  body: string;
  fingerprint: string;
}

async function postReview(port: number, uid: string): Promise<Served> {
  const ca = await Promise.all([readFile(first.caCert), readFile(second.caCert)]);
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource: { group: "", version: "v1", resource: "configmaps" },
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } },
    },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: allowAll.path,
        method: "POST",
        ca,
        agent: false, // a new handshake each time, so a renewed certificate shows
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const fingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), fingerprint }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function fingerprintOf(certFile: string): Promise<string> {
  return new X509Certificate(await readFile(certFile)).fingerprint256;
}

async function startServer(
  certDir: string,
  certPollIntervalMs?: number,
  webhook: Webhook = allowAll,
): Promise<RunningWebhookServer> {
  return startWebhookServer({
    host: "127.0.0.1",
    port: 0,
    certDir,
    webhooks: [webhook],
    metrics: createWebhookMetrics(new Registry()),
    logger: pino({ level: "silent" }),
    ...(certPollIntervalMs === undefined ? {} : { certPollIntervalMs }),
  });
}

test("an AdmissionReview round trip over HTTPS with a CA-signed certificate for 127.0.0.1", async () => {
  const server = await startServer(first.webhookCertDir);
  try {
    const served = await postReview(server.port, "uid-https");
    assert.equal(served.status, 200);
    assert.deepEqual(JSON.parse(served.body).response, { uid: "uid-https", allowed: true });
    assert.equal(served.fingerprint, await fingerprintOf(join(first.webhookCertDir, "tls.crt")));
  } finally {
    await server.close();
  }
});

test("a renewed certificate is served without a restart when the mounted files are swapped", async () => {
  const certDir = join(root, "mounted");
  await mountedSecretDir(certDir, first);
  // Polling effectively off: the directory watch alone must notice the swap.
  const server = await startServer(certDir, 3_600_000);
  try {
    const before = await postReview(server.port, "uid-before");
    assert.equal(before.fingerprint, await fingerprintOf(join(first.webhookCertDir, "tls.crt")));

    await swapMountedSecret(certDir, second);
    const renewed = await fingerprintOf(join(second.webhookCertDir, "tls.crt"));
    let served = before;
    for (let attempt = 0; attempt < 300 && served.fingerprint !== renewed; attempt++) {
      await sleep(100);
      served = await postReview(server.port, `uid-after-${attempt}`);
      assert.equal(served.status, 200, "the server keeps answering during the swap");
    }
    assert.equal(served.fingerprint, renewed, "the renewed certificate is served");
    assert.equal(JSON.parse(served.body).response.allowed, true);
  } finally {
    await server.close();
  }
});

test("a missing certificate directory is refused at start, naming the file and the flag", async () => {
  await assert.rejects(startServer(join(root, "nowhere")), /nowhere\/tls\.(crt|key).*--webhook-cert-dir/);
});

test("a key that does not belong to the certificate is refused at start", async () => {
  const dir = join(root, "mismatched");
  await mkdir(dir);
  await writeFile(join(dir, "tls.crt"), await readFile(join(first.webhookCertDir, "tls.crt")));
  await writeFile(join(dir, "tls.key"), await readFile(join(second.webhookCertDir, "tls.key")));
  await assert.rejects(startServer(dir), /do not form a usable pair/);
});

test("closing the server lets a review in flight finish", async () => {
  let release = () => {};
  let started = () => {};
  const decisionStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const slow: Webhook = {
    ...allowAll,
    decide: () =>
      new Promise((resolve) => {
        release = () => resolve(decision([]));
        started();
      }),
  };
  const server = await startServer(first.webhookCertDir, undefined, slow);
  const inFlight = postReview(server.port, "uid-in-flight");
  await decisionStarted;
  const closed = server.close();
  release();
  const served = await inFlight;
  await closed;
  assert.equal(served.status, 200);
  assert.deepEqual(JSON.parse(served.body).response, { uid: "uid-in-flight", allowed: true });
});

/** Whether a TLS handshake with these client settings completes, and which suite it agreed on. */
async function handshake(port: number, options: import("node:tls").ConnectionOptions): Promise<string> {
  const { connect } = await import("node:tls");
  const ca = await readFile(first.caCert);
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, ca, ...options }, () => {
      resolve(socket.getCipher().name);
      socket.destroy();
    });
    socket.on("error", (err) => resolve(`refused: ${err.message}`));
  });
}

test("TLS 1.2 is served with AEAD suites only; CBC suites with SHA-1 and TLS 1.1 are refused", async () => {
  const server = await startServer(first.webhookCertDir);
  try {
    const tls12 = { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" } as const;
    assert.equal(
      await handshake(server.port, { ...tls12, ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" }),
      "ECDHE-ECDSA-AES128-GCM-SHA256",
    );
    for (const cbc of ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256"]) {
      assert.match(await handshake(server.port, { ...tls12, ciphers: cbc }), /^refused/, cbc);
    }
    assert.match(
      await handshake(server.port, {
        minVersion: "TLSv1.1",
        maxVersion: "TLSv1.1",
        ciphers: "DEFAULT@SECLEVEL=0",
      }),
      /^refused/,
    );
    assert.equal(await handshake(server.port, { minVersion: "TLSv1.3" }), "TLS_AES_256_GCM_SHA384");
  } finally {
    await server.close();
  }
});
