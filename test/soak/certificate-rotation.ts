// Certificate rotation under admission load: the operator's webhook server (the operator CLI, webhooks only, no
// cluster) serves a certificate mounted as the kubelet mounts a Secret, renewed every second (alternating between
// two CAs the client trusts), while 16 callers each open a new TLS connection per review. Every review must be
// answered: a renewal may not cost a single handshake.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadResult } from "../../bench/load-process.ts";
import { WEBHOOK_PATHS } from "../../webhooks/hourglass-webhooks.ts";
import { ensurePki } from "../controlplane/pki.ts";
import { reviewText } from "../fixtures/admission/reviews.ts";
import { startNodeProcess } from "../support/grpc-processes.ts";
import { mountedSecretDir, swapMountedSecret } from "../support/mounted-secret.ts";

export interface RotationFigures {
  durationS: number;
  concurrency: number;
  rotations: number;
  requests: number;
  failedRequests: number;
  p99Ms: number;
}

export async function certificateRotation(durationMs: number): Promise<RotationFigures> {
  const dir = await mkdtemp(join(tmpdir(), "soak-rotation-"));
  const pkis = await Promise.all([ensurePki(join(dir, "one")), ensurePki(join(dir, "two"))]);
  const certDir = join(dir, "mounted");
  await mountedSecretDir(certDir, pkis[0]);
  const caBundle = join(dir, "ca-bundle.crt");
  await writeFile(caBundle, Buffer.concat(await Promise.all(pkis.map((p) => readFile(p.caCert)))));
  const body = join(dir, "review.json");
  await writeFile(body, reviewText("performer-complete-create"));
  const operator = startNodeProcess([
    "src/cli/operator.ts",
    "--no-controller",
    "--webhook-host=127.0.0.1",
    "--webhook-port=0",
    `--webhook-cert-dir=${certDir}`,
    "--metrics-host=127.0.0.1",
    "--metrics-port=0",
  ]);
  try {
    const port = (await operator.waitForLog((l) => l.msg === "serving admission webhooks")).port as number;
    let rotations = 0;
    let rotating = true;
    const rotator = (async () => {
      while (rotating) {
        await sleep(1_000);
        if (!rotating) break;
        rotations++;
        await swapMountedSecret(certDir, pkis[rotations % 2]!, `..v${rotations + 1}`);
      }
    })();
    const concurrency = 16;
    const stats = await loadResult([
      "bench/https-load.ts",
      `--url=https://127.0.0.1:${port}${WEBHOOK_PATHS.validatePerformer}`,
      `--body=${body}`,
      `--ca=${caBundle}`,
      `--concurrency=${concurrency}`,
      "--warmup-ms=0",
      `--duration-ms=${durationMs}`,
      "--new-connections",
    ]);
    rotating = false;
    await rotator;
    const renewed = operator.logs.filter((l) => l.msg === "serving the renewed webhook certificate").length;
    if (renewed === 0) throw new Error("the server never reported serving a renewed certificate");
    return {
      durationS: durationMs / 1000,
      concurrency,
      rotations,
      requests: stats.requests,
      failedRequests: stats.errors,
      p99Ms: stats.p99Ms,
    };
  } finally {
    await operator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await certificateRotation(20_000), null, 2)}\n`);
}
