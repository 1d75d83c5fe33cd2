// `make deploy` for real, on the local cluster, through the README's local steps: `make cluster-up`, `make
// deploy-local` (both images built and imported, cert-manager built from its Go module and run as Pods,
// config/default applied unchanged), then what a user sees: two operator replicas of which one leads, admission
// through the webhook Service and from each replica itself (a good Performer defaulted, a bad one refused); the
// leader killed and the other taking over without losing a Performer; the serving certificate renewed by
// cert-manager, every replica serving it while admission keeps answering; `make deploy-samples-local`, whose
// executor creates its Performer and answers a task from the host through it; `make undeploy-local` leaving
// nothing; `make cluster-down` leaving nothing on the host. The cluster has a directory of its own
// (HOURGLASS_LOCAL_DIR), and `make cluster-down` runs after a failure too. Times are printed.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { NODE_ADDRESS } from "../controlplane/controlplane.ts";
import { NODE_RECORD } from "../controlplane/node-host.ts";
import { acquireNodeLock, NODE_LOCK_HOLDER } from "../controlplane/node-lock.ts";
import { OPERATOR_ADDRESS, OPERATOR_KEY } from "../support/chain-world.ts";
import { eventually } from "../support/eventually.ts";
import { executorClient } from "../support/grpc-clients.ts";
import {
  type HostSnapshot,
  hostSnapshot,
  leftovers,
  NOTHING_LEFT,
  nodeLinks,
} from "../support/host-snapshot.ts";
import { startTestChain } from "../support/test-chain.ts";
import { chainService, portForward, SAMPLE_NAMESPACE as SAMPLES } from "./sample-avs.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const NS = "hourglass-system";
const AVS = "0x1234567890abcdef1234567890abcdef12345678";
const WAIT = { timeoutMs: 120_000, intervalMs: 500 };

let dir = "";
const kubectlPath = () => join(dir, "cluster", "kubectl");
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
  const child = run(kubectlPath(), args, { maxBuffer: 16 << 20 });
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
  metadata: { name: string; uid: string; deletionTimestamp?: string };
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

/** The name the apiserver checks the serving certificate against (the webhook Service's). */
const SERVICE_NAME = `hourglass-webhook-service.${NS}.svc`;

interface AdmissionAnswer {
  uid: string;
  allowed: boolean;
  status?: { message?: string };
  patch?: string;
}

/**
 * One AdmissionReview of a Performer CREATE sent to an operator Pod itself (the host is on the Pods' bridge), as
 * the apiserver sends it: a new TLS handshake each time, the certificate checked against the CA for the Service's
 * name. The apiserver keeps one connection to the Service, so its reviews all reach one Pod; these reach each.
 */
function reviewAt(ip: string, path: string, object: string, ca: string): Promise<AdmissionAnswer> {
  const uid = randomUUID();
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "hourglass.eigenlayer.io", version: "v1alpha1", kind: "Performer" },
      resource: { group: "hourglass.eigenlayer.io", version: "v1alpha1", resource: "performers" },
      name: (JSON.parse(object) as { metadata: { name: string } }).metadata.name,
      namespace: "deploy-test",
      operation: "CREATE",
      userInfo: { username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] },
      object: JSON.parse(object),
      dryRun: true,
    },
  });
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: ip,
        port: 9443,
        path: `${path}?timeout=5s`,
        method: "POST",
        servername: SERVICE_NAME,
        ca,
        agent: false,
        timeout: 10_000,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200)
            return reject(new Error(`${ip}${path}: HTTP ${res.statusCode}: ${text}`));
          const answer = (JSON.parse(text) as { response: AdmissionAnswer }).response;
          if (answer.uid !== uid)
            return reject(new Error(`${ip}${path}: answered uid ${answer.uid}, sent ${uid}`));
          resolve(answer);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${ip}${path}: no answer in 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The webhooks' CA (cert-manager's hourglass-ca, which cainjector put into both configurations). */
const webhookCa = async () =>
  Buffer.from(
    await kubectl(["-n", NS, "get", "secret", "hourglass-ca", "-o", "jsonpath={.data.ca\\.crt}"]),
    "base64",
  ).toString();

/** What a Pod's reviews must say: the good Performer defaulted, the bad one refused naming the field. */
async function checkAdmission(ip: string, ca: string): Promise<void> {
  const mutated = await reviewAt(ip, "/mutate-performer", performer("direct"), ca);
  assert.equal(mutated.allowed, true, `${ip} admits a good Performer`);
  const patch = Buffer.from(mutated.patch ?? "", "base64").toString();
  assert.match(patch, /\/spec\/resources.*500m/, `${ip} defaults the resources (${patch})`);
  const refused = await reviewAt(
    ip,
    "/validate-performer",
    performer("direct-bad", { resources: { requests: { cpu: "500mm" } } }),
    ca,
  );
  assert.equal(refused.allowed, false, `${ip} refuses a bad Performer`);
  assert.match(
    refused.status?.message ?? "",
    /spec\.resources\.requests\.cpu: Invalid resource format "500mm"/,
  );
}

/** The host while no node runs, taken holding the node's lock (another run's node would count as ours). */
async function hostWithoutNode(links?: string[]): Promise<HostSnapshot> {
  const lock = await acquireNodeLock({
    owner: `make test-deploy in ${root}`,
    onWait: (holder) => process.stderr.write(`waiting for the local node's lock (${holder})\n`),
  });
  try {
    return await hostSnapshot(links);
  } finally {
    await lock.release();
  }
}

/** Processes that name the cluster's directory: its control plane, node and whatever they started. */
function processesIn(directory: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (argv.includes(directory)) found.push(`${pid} ${argv}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe("make deploy-local", { timeout: 40 * 60_000 }, () => {
  let baseline: HostSnapshot;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hourglass-deploy-"));
    baseline = await hostWithoutNode();
    await timed("cluster up", () => make("cluster-up"));
  });
  after(async () => {
    // cluster-down takes the whole cluster (cert-manager and the project with it) off the host; after the last
    // check it has already run, and finds nothing to do.
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

  it("admits through the webhook Service, and each replica answers admission itself", async () => {
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
    // Each replica, reached on its own Pod IP with the certificate checked for the Service's name.
    const ca = await webhookCa();
    const pods = (await operatorPods()).filter(ready);
    assert.equal(pods.length, 2);
    for (const pod of pods) await checkAdmission(pod.status.podIP!, ca);
  });

  it("fails over: the leader killed, the other replica leads and reconciles what came meanwhile", async () => {
    const old = await leader();
    const started = Date.now();
    await kubectl(["-n", NS, "delete", "pod", old, "--grace-period=0", "--force"]);
    // Created while nobody may lead: reconciled by the next leader. The apiserver's kept-alive connection to the
    // webhook Service may still lead to the killed Pod; its review there is reset and the create refused
    // (failed calling webhook), and the client tries again, as kubectl's user would.
    let refused = 0;
    await eventually(
      "the create admitted by the replica left",
      () =>
        kubectl(["apply", "-f", "-"], performer("during-failover")).then(
          () => true,
          (e: Error) => {
            if (!/failed calling webhook/.test(e.message)) throw e;
            refused++;
            return undefined;
          },
        ),
      WAIT,
    );
    process.stdout.write(`# failover: ${refused} create(s) refused by a reset webhook call first\n`);
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

  it("renews the serving certificate with cert-manager: every replica serves it, admission never fails", async () => {
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
    const ca = await webhookCa();
    const pods = (await operatorPods()).filter(ready);
    assert.equal(pods.length, 2);
    const failures: string[] = [];
    const answered = { apiserver: 0, pods: 0 };
    let stop = false;
    const failed = (what: string) => (e: Error) => {
      failures.push(`${what}: ${e.message}`);
      process.stderr.write(`review failed during rotation (${what}): ${e.message}\n`);
    };
    // Through the apiserver (the Service path), and to each Pod with a new handshake per review (the path a
    // renewed certificate takes first).
    const throughApiserver = (async () => {
      for (let i = 0; !stop; i++) {
        await admit(`rotation-${i % 5}`).then(() => answered.apiserver++, failed("apiserver"));
      }
    })();
    const direct = (async () => {
      for (let i = 0; !stop; i++) {
        const ip = pods[i % pods.length]!.status.podIP!;
        await reviewAt(ip, "/validate-performer", performer(`rotation-${i % 5}`), ca).then((r) => {
          if (!r.allowed) throw new Error(`refused: ${r.status?.message}`);
          answered.pods++;
        }, failed(ip));
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
    const renewedAt = Date.now();
    process.stdout.write(`# certificate renewed: ${((renewedAt - started) / 1000).toFixed(1)} s\n`);
    const renewed = new X509Certificate(Buffer.from(await secret(), "base64")).fingerprint256;
    // The kubelet rewrites a Secret volume when it next syncs the Pod (the node's syncFrequency, 10 s, plus up to
    // half of it as jitter: a kind node's default is 1 min, so up to 90 s there); the operator sees the `..data`
    // swap at once (its 10 s re-read otherwise). Bound here: 60 s after the Secret changed.
    const volumes = join(dir, "cluster", "node", "kubelet", "pods");
    await Promise.all(
      pods.map(async (pod) => {
        await eventually(
          `${pod.metadata.name} serving the renewed certificate`,
          async () =>
            (await servedCertificate(pod.status.podIP!).catch(() => "")) === renewed ? true : undefined,
          { timeoutMs: 60_000, intervalMs: 200 },
        );
        const served = (Date.now() - renewedAt) / 1000;
        const data = join(
          volumes,
          pod.metadata.uid,
          "volumes",
          "kubernetes.io~secret",
          "webhook-certs",
          "..data",
        );
        const swapped = ((await lstat(data)).mtimeMs - renewedAt) / 1000;
        process.stdout.write(
          `# ${pod.metadata.name}: the kubelet swapped ..data ${swapped.toFixed(1)} s after the Secret changed, ` +
            `the Pod served the new certificate by ${served.toFixed(1)} s\n`,
        );
      }),
    );
    // A few more reviews on the new certificate, then the count.
    await new Promise((r) => setTimeout(r, 3_000));
    stop = true;
    await Promise.all([throughApiserver, direct]);
    process.stdout.write(
      `# reviews during the rotation: ${answered.apiserver} through the apiserver, ${answered.pods} to the Pods\n`,
    );
    assert.deepEqual(failures, [], "every review during the renewal was answered");
    assert.ok(
      answered.apiserver > 5 && answered.pods > 5,
      `reviews kept flowing (${JSON.stringify(answered)})`,
    );
  });

  it("make deploy-samples-local: the executor creates its Performer, the operator runs it, a task from the host goes executor → performer and comes back signed", async (t) => {
    // The earlier checks' Performers ask 500m CPU each, which the 2-CPU node needs for the samples'.
    await kubectl(["delete", "namespace", "deploy-test", "--wait=true", "--timeout=180s"]);
    // The sample config's L1 chain is anvil.my-avs-project.svc.cluster.local:8545: here a local EVM on the host,
    // on the node's bridge address, behind a Service without a selector.
    const chain = await startTestChain({ hostname: NODE_ADDRESS });
    t.after(() => chain.stop());
    await chain.addAvs(AVS, OPERATOR_ADDRESS);
    await kubectl(["create", "namespace", SAMPLES]);
    // The Secret the sample's comment tells the user to create, as the README has it (a published development key).
    const keyFile = join(dir, "operator.key");
    await writeFile(keyFile, OPERATOR_KEY, { mode: 0o600 });
    await kubectl([
      "-n",
      SAMPLES,
      "create",
      "secret",
      "generic",
      "my-avs-operator-key",
      `--from-file=ecdsa.key=${keyFile}`,
    ]);
    await kubectl(["apply", "-f", "-"], chainService(chain.evm.port));
    try {
      await timed("deploy-samples-local to a Ready executor", async () => {
        await make("deploy-samples-local");
        await kubectl(["-n", SAMPLES, "rollout", "status", "deployment/my-avs-executor", "--timeout=300s"]);
      });
      const performers = await json<{ items: { metadata: { name: string } }[] }>([
        "-n",
        SAMPLES,
        "get",
        "performers",
      ]);
      const names = performers.items.map((p) => p.metadata.name);
      // config/samples' own Performer is my-avs; the executor's are named after the AVS and a suffix.
      const created = names.filter((n) => n !== "my-avs");
      assert.equal(created.length, 1, `the executor created one Performer (${names.join(", ")})`);
      const pod = await json<Pod>(["-n", SAMPLES, "get", "pod", `performer-${created[0]}`]);
      assert.ok(ready(pod), `the operator runs Pod performer-${created[0]}, Ready`);

      const forward = await portForward(
        kubectlPath(),
        SAMPLES,
        "deployment/my-avs-executor",
        9000,
        AbortSignal.timeout(60_000),
      );
      t.after(() => forward.close());
      const client = executorClient(`127.0.0.1:${forward.port}`);
      t.after(() => client.close());
      const payload = Buffer.from("a task from the host");
      const task = await chain.task(AVS, OPERATOR_ADDRESS, payload);
      const result = await timed("a task through port-forward, executor and performer", () =>
        client.submitTask(task, new Date(Date.now() + 30_000)),
      );
      // The sample performer answers sha256(payload); Hourglass's aggregator takes the signed result.
      assert.deepEqual(Buffer.from(result.output), createHash("sha256").update(payload).digest());
      await chain.checkResult(task, result, OPERATOR_ADDRESS);
    } catch (error) {
      const logs = await kubectl(["-n", SAMPLES, "logs", "deployment/my-avs-executor", "--tail=40"]).catch(
        (e: Error) => e.message,
      );
      process.stdout.write(`# the executor's last 40 log lines:\n${logs.replace(/^/gm, "#   ")}\n`);
      throw error;
    }
  });

  it("make undeploy-local removes the samples, the project and cert-manager", async () => {
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

  it("make cluster-down leaves nothing of the cluster on the host", async () => {
    const links = nodeLinks();
    assert.ok(links.length > 0, "the node's bridge is up before cluster-down");
    const { lockPid } = JSON.parse(readFileSync(join(dir, "cluster", "node", "node.json"), "utf8")) as {
      lockPid: number;
    };
    await timed("cluster-down", () => make("cluster-down"));
    await eventually(
      "the node's lock released",
      async () => (existsSync(`/proc/${lockPid}`) ? undefined : true),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const holder = existsSync(NODE_LOCK_HOLDER) ? readFileSync(NODE_LOCK_HOLDER, "utf8") : "";
    assert.ok(
      !holder.includes(`cluster-up in ${root}`),
      `${NODE_LOCK_HOLDER} names no holder of ours: ${holder}`,
    );
    assert.deepEqual(processesIn(dir), [], "no process of the cluster's is left");
    const record = existsSync(NODE_RECORD) ? readFileSync(NODE_RECORD, "utf8") : "";
    assert.ok(!record.includes(dir), `${NODE_RECORD} no longer names this cluster's node`);
    assert.deepEqual(leftovers(baseline, await hostWithoutNode(links)), NOTHING_LEFT);
  });
});
