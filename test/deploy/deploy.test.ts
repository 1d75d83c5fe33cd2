// `make deploy` for real, on the local cluster, through the README's local steps: `make cluster-up`, `make
// deploy-local` (both images built and imported, cert-manager built from its Go module and run as Pods,
// config/default applied unchanged), then what a user sees: two operator replicas of which one leads and both
// answer admission through the webhook Service; a good Performer defaulted and a bad one refused by the in-cluster
// webhooks; the leader killed and the other taking over without losing a Performer; the serving certificate
// renewed by cert-manager while admission keeps answering; `make undeploy-local` leaving nothing. The cluster has a
// directory of its own (HOURGLASS_LOCAL_DIR), and `make cluster-down` runs after a failure too. Times are printed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { eventually } from "../support/eventually.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const NS = "hourglass-system";
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

let dir = "";
const env = () => ({ ...process.env, HOURGLASS_LOCAL_DIR: dir });
/** A make target, its output in the cluster directory's make.log: the node's detached processes keep the
 * descriptors they were given, so a pipe to them would never close. */
const make = async (target: string) => {
  const log = join(dir, "make.log");
  try {
    await run("sh", ["-c", `make --no-print-directory ${target} >>'${log}' 2>&1`], { cwd: root, env: env() });
  } catch {
    const tail = (await readFile(log, "utf8")).split("\n").slice(-30).join("\n");
    throw new Error(`make ${target} failed:\n${tail}`);
  }
};
const kubectl = async (args: string[], input?: string): Promise<string> => {
  const child = run(join(dir, "cluster", "kubectl"), args, { maxBuffer: 16 << 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
};
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, "-o", "json"])) as T;
const timed = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
  const started = Date.now();
  const result = await step();
  process.stdout.write(`# ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
};

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { podIP?: string; conditions?: { type: string; status: string }[] };
}
const ready = (p: Pod) =>
  !p.metadata.deletionTimestamp &&
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");

async function operatorPods(): Promise<Pod[]> {
  return (await json<{ items: Pod[] }>(["-n", NS, "get", "pods", "-l", "app=hourglass-operator"])).items;
}
async function leader(): Promise<string> {
  const lease = await json<{ spec: { holderIdentity?: string } }>([
    "-n",
    NS,
    "get",
    "lease",
    "hourglass-operator",
  ]);
  return lease.spec.holderIdentity?.split("_")[0] ?? "";
}

function performer(name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "hourglass.eigenlayer.io/v1alpha1",
    kind: "Performer",
    metadata: { name, namespace: "deploy-test" },
    spec: { avsAddress: AVS, image: "hourglass-example-performer", version: "dev", ...spec },
  });
}

/** One admission round trip through the in-cluster webhooks (a server-side dry run is reviewed, never stored). */
const admit = (name: string) => kubectl(["apply", "--dry-run=server", "-f", "-"], performer(name));

/** The fingerprint of the certificate an operator Pod serves on 9443 (the host reaches Pod IPs on the bridge). */
function servedCertificate(ip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: ip, port: 9443, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** Reviews answered by each operator Pod, from its own metrics (the apiserver's proxy to the Pod). */
async function reviewsServed(pod: string): Promise<number> {
  const text = await kubectl(["get", "--raw", `/api/v1/namespaces/${NS}/pods/${pod}:8080/proxy/metrics`]);
  return [...text.matchAll(/^hourglass_webhook_latency_seconds_count\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

describe("make deploy-local", { timeout: 40 * 60_000 }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hourglass-deploy-"));
    await timed("cluster up", () => make("cluster-up"));
  });
  after(async () => {
    // cluster-down takes the whole cluster (cert-manager and the project with it) off the host.
    await make("cluster-down").catch((e: Error) => process.stderr.write(`cluster-down: ${e.message}\n`));
    await rm(dir, { recursive: true, force: true });
  });

  it("deploys config/default with cert-manager: two Ready operator replicas, one leading", async () => {
    await timed("deploy-local to Ready (images, cert-manager, config/default)", () => make("deploy-local"));
    const pods = (await operatorPods()).filter(ready);
    assert.equal(pods.length, 2, "deployment/hourglass-operator runs 2 Ready replicas");
    const holder = await eventually("a leader", async () => (await leader()) || undefined, WAIT);
    assert.ok(
      pods.some((p) => p.metadata.name === holder),
      `the lease is held by one of the replicas (${holder})`,
    );
    const inject = await kubectl([
      "get",
      "validatingwebhookconfiguration",
      "hourglass-validating-webhook",
      "-o",
      "jsonpath={.webhooks[0].clientConfig.caBundle}",
    ]);
    const ca = await kubectl(["-n", NS, "get", "secret", "hourglass-ca", "-o", "jsonpath={.data.ca\\.crt}"]);
    assert.equal(inject, ca, "cainjector put the CA that signed the serving certificate into the webhooks");
  });

  it("admits through the webhook Service: defaults a good Performer, refuses a bad one, on both replicas", async () => {
    await kubectl(["create", "namespace", "deploy-test"]);
    await kubectl(["apply", "-f", "-"], performer("good"));
    const stored = await json<{ spec: { resources: unknown; config: { grpcPort: number } } }>([
      "-n",
      "deploy-test",
      "get",
      "performer",
      "good",
    ]);
    assert.deepEqual(stored.spec.resources, {
      requests: { cpu: "500m", memory: "1Gi" },
      limits: { cpu: "2", memory: "4Gi" },
    });
    assert.equal(stored.spec.config.grpcPort, 9090);
    await assert.rejects(
      kubectl(["apply", "-f", "-"], performer("bad", { resources: { requests: { cpu: "500mm" } } })),
      /denied the request: spec\.resources\.requests\.cpu: Invalid resource format "500mm"/,
    );
    const pods = (await operatorPods()).map((p) => p.metadata.name);
    const before = await Promise.all(pods.map(reviewsServed));
    for (let i = 0; i < 20; i++) await admit(`spread-${i}`);
    const served = (await Promise.all(pods.map(reviewsServed))).map((n, i) => n - before[i]!);
    assert.ok(
      served.every((n) => n > 0),
      `each replica answered some of 20 reviews through the Service (${served.join(", ")})`,
    );
  });

  it("fails over: the leader killed, the other replica leads and reconciles what came meanwhile", async () => {
    const old = await leader();
    const started = Date.now();
    await kubectl(["-n", NS, "delete", "pod", old, "--grace-period=0", "--force"]);
    // Created while nobody may lead: reconciled by the next leader.
    await kubectl(["apply", "-f", "-"], performer("during-failover"));
    const next = await eventually(
      "another replica leading",
      async () => {
        const holder = await leader();
        return holder && holder !== old ? holder : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    process.stdout.write(
      `# failover (kill → new leader ${next}): ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    for (const name of ["good", "during-failover"]) {
      await eventually(
        `Pod performer-${name}`,
        () => kubectl(["-n", "deploy-test", "get", "pod", `performer-${name}`, "-o", "name"]),
        WAIT,
      );
    }
    await eventually(
      "two Ready replicas again",
      async () => ((await operatorPods()).filter(ready).length === 2 ? true : undefined),
      WAIT,
    );
  });

  it("renews the serving certificate with cert-manager while admission answers every request", async () => {
    const secret = () =>
      kubectl([
        "-n",
        NS,
        "get",
        "secret",
        "hourglass-webhook-server-cert",
        "-o",
        "jsonpath={.data.tls\\.crt}",
      ]);
    const first = await secret();
    let failures = 0;
    let answered = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop && i < 2000; i++) {
        await admit(`rotation-${i % 5}`).then(
          () => answered++,
          (e: Error) => {
            failures++;
            process.stderr.write(`review failed during rotation: ${e.message}\n`);
          },
        );
      }
    })();
    const started = Date.now();
    // What `cmctl renew` does: the Issuing condition, set by hand.
    await kubectl([
      "-n",
      NS,
      "patch",
      "certificate",
      "hourglass-serving-cert",
      "--subresource=status",
      "--type=json",
      `-p=${JSON.stringify([
        {
          op: "add",
          path: "/status/conditions/-",
          value: {
            type: "Issuing",
            status: "True",
            reason: "ManuallyTriggered",
            message: "Certificate re-issuance manually triggered",
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          },
        },
      ])}`,
    ]);
    await eventually(
      "a new serving certificate",
      async () => ((await secret()) !== first ? true : undefined),
      WAIT,
    );
    process.stdout.write(`# certificate renewed: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    // The kubelet refreshes Secret volumes within a minute; the operator reloads the files when they change.
    await new Promise((r) => setTimeout(r, 75_000));
    stop = true;
    await load;
    const renewed = new X509Certificate(Buffer.from(await secret(), "base64"));
    for (const pod of await operatorPods()) {
      const served = await servedCertificate(pod.status.podIP!);
      assert.equal(served, renewed.fingerprint256, `${pod.metadata.name} serves the renewed certificate`);
    }
    assert.equal(failures, 0, `every review during the renewal was answered (${answered} answered)`);
    assert.ok(answered > 10, `reviews kept flowing (${answered})`);
  });

  it("make undeploy-local removes the project and cert-manager", async () => {
    await kubectl(["delete", "namespace", "deploy-test", "--wait=true"]);
    await timed("undeploy-local", () => make("undeploy-local"));
    const left = await kubectl(["get", "crd", "-o", "name"]);
    assert.doesNotMatch(left, /hourglass|cert-manager/, "no CRD of ours or cert-manager's is left");
    const namespaces = await kubectl(["get", "namespaces", "-o", "name"]);
    assert.doesNotMatch(namespaces, /hourglass-system|cert-manager|my-avs-project/);
    const hooks = await kubectl([
      "get",
      "validatingwebhookconfigurations,mutatingwebhookconfigurations",
      "-o",
      "name",
    ]);
    assert.equal(hooks.trim(), "", "no webhook configuration is left");
  });
});
