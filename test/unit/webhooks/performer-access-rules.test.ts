// No escalation through the operator: a Performer names a ServiceAccount or Secrets only if its author may use
// them. The rights a spec needs (pure), the decision through the real webhooks with the authorizer's answers
// faked, and the SubjectAccessReviews sent to a stand-in apiserver, with their cache.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { AccessFacts, Permission, RequestingUser } from "../../../webhooks/access-facts.ts";
import { admissionApp } from "../../../webhooks/admission-app.ts";
import { AdmissionLookupError, noClusterFacts } from "../../../webhooks/admission-facts.ts";
import { hourglassWebhooks, WEBHOOK_PATHS } from "../../../webhooks/hourglass-webhooks.ts";
import { kubernetesAccessFacts } from "../../../webhooks/kubernetes-access-facts.ts";
import { permissionsNeeded } from "../../../webhooks/performer-access-rules.ts";
import { createWebhookMetrics } from "../../../webhooks/webhook-metrics.ts";
import { reviewText } from "../../fixtures/admission/reviews.ts";

const ESCALATING_SPEC = {
  avsAddress: "0x1234567890abcdef1234567890abcdef12345678",
  image: "registry.example/avs/performer:v1",
  serviceAccountName: "admin-sa",
  imagePullSecrets: [{ name: "registry-creds" }],
  config: {
    env: [
      { name: "PLAIN", value: "x" },
      { name: "DB", valueFrom: { secretKeyRef: { name: "db-password", key: "password" } } },
      { name: "CM", valueFrom: { configMapKeyRef: { name: "settings", key: "a" } } },
    ],
  },
  resources: { limits: { cpu: "1", memory: "1Gi" } },
};

test("the rights a spec would use: create pods for a ServiceAccount, get for each Secret it reads", () => {
  assert.deepEqual(
    permissionsNeeded("avs-one", ESCALATING_SPEC).map((n) => [n.path, n.permission]),
    [
      ["spec.serviceAccountName", { verb: "create", resource: "pods", namespace: "avs-one" }],
      [
        "spec.config.env[1].valueFrom.secretKeyRef",
        { verb: "get", resource: "secrets", namespace: "avs-one", name: "db-password" },
      ],
      [
        "spec.imagePullSecrets[0]",
        { verb: "get", resource: "secrets", namespace: "avs-one", name: "registry-creds" },
      ],
    ],
  );
  assert.deepEqual(
    permissionsNeeded("avs-one", { ...ESCALATING_SPEC, serviceAccountName: "" })[0]?.use,
    'run a Pod as ServiceAccount "default"',
  );
  assert.deepEqual(permissionsNeeded("avs-one", { avsAddress: "0x", image: "i" }), []);
});

/** The authorizer faked: `granted` holds "user verb resource name" entries; every question is recorded. */
function fakeAccess(granted: string[]) {
  const asked: { user: RequestingUser; permission: Permission }[] = [];
  const access: AccessFacts = {
    async access(user, permission) {
      asked.push({ user, permission });
      const right = [user.username, permission.verb, permission.resource, permission.name ?? ""]
        .join(" ")
        .trim();
      return { allowed: granted.includes(right) };
    },
  };
  return { access, asked };
}

async function validate(access: AccessFacts, spec: unknown, userInfo?: unknown) {
  const app = admissionApp({
    webhooks: hourglassWebhooks(noClusterFacts, access),
    metrics: createWebhookMetrics(new Registry()),
    logger: pino({ level: "silent" }),
  });
  after(() => app.close());
  const review = JSON.parse(reviewText("performer-minimal-create"));
  review.request.object.spec = spec;
  review.request.userInfo = userInfo;
  const reply = await app.inject({
    method: "POST",
    url: WEBHOOK_PATHS.validatePerformer,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(review),
  });
  return (reply.json() as { response: { allowed: boolean; status?: { code: number; message: string } } })
    .response;
}

const EXECUTOR = {
  username: "system:serviceaccount:avs-one:executor",
  uid: "5b1c",
  groups: ["system:serviceaccounts", "system:serviceaccounts:avs-one", "system:authenticated"],
  extra: { "authentication.kubernetes.io/pod-name": ["executor-0"] },
};

test("a user who may only write Performers cannot borrow a ServiceAccount or Secrets: each missing right is named", async () => {
  const { access, asked } = fakeAccess([]);
  const response = await validate(access, ESCALATING_SPEC, EXECUTOR);
  assert.equal(response.allowed, false);
  assert.equal(response.status?.code, 422);
  const message = response.status?.message ?? "";
  assert.match(
    message,
    /spec\.serviceAccountName: user "system:serviceaccount:avs-one:executor" may not create pods in namespace avs-one, which the Performer's Pod would need to run a Pod as ServiceAccount "admin-sa"/,
  );
  assert.match(
    message,
    /spec\.config\.env\[1\]\.valueFrom\.secretKeyRef: user .* may not get secrets "db-password"/,
  );
  assert.match(message, /spec\.imagePullSecrets\[0\]: user .* may not get secrets "registry-creds"/);
  assert.equal(asked.length, 3);
  // The subject is the review's user, whole: groups, uid and extra decide RBAC and webhook authorizers too.
  assert.deepEqual(asked[0]?.user, EXECUTOR);
});

test("a user holding those rights is allowed; only the missing one is reported", async () => {
  const everything = fakeAccess([
    `${EXECUTOR.username} create pods`,
    `${EXECUTOR.username} get secrets db-password`,
    `${EXECUTOR.username} get secrets registry-creds`,
  ]);
  assert.equal((await validate(everything.access, ESCALATING_SPEC, EXECUTOR)).allowed, true);
  const partly = fakeAccess([
    `${EXECUTOR.username} create pods`,
    `${EXECUTOR.username} get secrets db-password`,
  ]);
  const response = await validate(partly.access, ESCALATING_SPEC, EXECUTOR);
  assert.equal(response.allowed, false);
  assert.deepEqual(
    (response.status?.message ?? "").split("; spec.").map((m) => m.split(":")[0]),
    ["spec.imagePullSecrets[0]"],
  );
});

test("a spec that borrows nothing asks the authorizer nothing; a review without a user borrows nothing", async () => {
  const { access, asked } = fakeAccess([]);
  const plain = { avsAddress: ESCALATING_SPEC.avsAddress, image: ESCALATING_SPEC.image };
  assert.equal((await validate(access, plain, EXECUTOR)).allowed, true);
  assert.equal(asked.length, 0);
  const anonymous = await validate(access, ESCALATING_SPEC, undefined);
  assert.equal(anonymous.allowed, false);
  assert.match(anonymous.status?.message ?? "", /the review names no requesting user/);
  assert.equal(asked.length, 0);
});

test("SubjectAccessReviews name the whole user, are and a grant is cached for a while, a refusal or a failure not", async () => {
  const bodies: { spec: Record<string, unknown> }[] = [];
  let failNext = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url !== "/apis/authorization.k8s.io/v1/subjectaccessreviews" || req.method !== "POST") {
        res.writeHead(404).end();
        return;
      }
      if (failNext) {
        failNext = false;
        res.writeHead(500, { "content-type": "application/json" }).end('{"kind":"Status","code":500}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString());
      bodies.push(body);
      const allowed = body.spec.resourceAttributes.resource === "pods";
      res
        .writeHead(201, { "content-type": "application/json" })
        .end(
          JSON.stringify({ ...body, status: { allowed, ...(allowed ? {} : { reason: "no RBAC rule" }) } }),
        );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  after(() => server.close());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "fake",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "operator", token: "token" }],
    contexts: [{ name: "fake", cluster: "fake", user: "operator" }],
    currentContext: "fake",
  });
  let clock = 0;
  const facts = kubernetesAccessFacts(kubeConfig, { cacheTtlMs: 10_000, now: () => clock });
  const pods: Permission = { verb: "create", resource: "pods", namespace: "avs-one" };
  const secret: Permission = { verb: "get", resource: "secrets", namespace: "avs-one", name: "db-password" };

  assert.deepEqual(await facts.access(EXECUTOR, pods), { allowed: true });
  assert.deepEqual(await facts.access(EXECUTOR, secret), { allowed: false, reason: "no RBAC rule" });
  assert.deepEqual(bodies[0]?.spec, {
    user: EXECUTOR.username,
    uid: EXECUTOR.uid,
    groups: EXECUTOR.groups,
    extra: EXECUTOR.extra,
    resourceAttributes: { group: "", verb: "create", resource: "pods", namespace: "avs-one" },
  });
  assert.equal((bodies[1]?.spec.resourceAttributes as { name?: string } | undefined)?.name, "db-password");

  await facts.access(EXECUTOR, pods);
  assert.equal(bodies.length, 2, "a grant is not asked for again within the cache's lifetime");
  await facts.access(EXECUTOR, secret);
  assert.equal(bodies.length, 3, "a refusal is asked for again, so that a new grant counts at once");
  await facts.access({ ...EXECUTOR, groups: ["system:masters"] }, pods);
  assert.equal(bodies.length, 4, "another user (other groups) is asked for on its own");
  clock = 10_001;
  await facts.access(EXECUTOR, pods);
  assert.equal(bodies.length, 5, "a grant is asked for again after the cache's lifetime");

  failNext = true;
  clock = 30_000;
  await assert.rejects(facts.access(EXECUTOR, pods), AdmissionLookupError);
  assert.deepEqual(await facts.access(EXECUTOR, pods), { allowed: true });
  assert.equal(bodies.length, 6, "a failed answer is not remembered");
});
