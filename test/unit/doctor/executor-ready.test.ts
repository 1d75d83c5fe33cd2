import assert from "node:assert/strict";
import { test } from "node:test";
import { executorReadyFindings } from "../../../src/doctor/executor-ready.ts";

const at = {
  object: "pod/my-avs-executor-abc -n my-avs-project",
  namespace: "my-avs-project",
  deployment: "deployment/my-avs-executor",
};
const AVS = "0x1234567890abcdef1234567890abcdef12345678";

test("a ready executor gives no finding", () => {
  assert.deepEqual(executorReadyFindings(at, 200, '{"ready":true}'), []);
});

test("a draining executor is named as such, with the rollout to wait for", () => {
  const [f, ...rest] = executorReadyFindings(
    at,
    503,
    JSON.stringify({ ready: false, stopping: true, performers: { [AVS]: "p" } }),
  );
  assert.equal(rest.length, 0);
  assert.match(f!.problem, /^the executor is draining: it is stopping, refuses new tasks/);
  assert.match(f!.fix, /kubectl rollout status deployment\/my-avs-executor -n my-avs-project/);
  const bare = executorReadyFindings({ ...at, deployment: "pod/x" }, 503, '{"stopping":true}');
  assert.match(bare[0]!.fix, /kubectl get pods -n my-avs-project -o wide/);
});

test("a performer it cannot reach is the guide's Connection refused, with service and DNS checks", () => {
  const body = {
    ready: false,
    stopping: false,
    performers: { [AVS]: "my-avs" },
    unreachable: {
      [AVS]: {
        performer: "my-avs",
        endpoint: "performer-my-avs.my-avs-project.svc.cluster.local:9090",
        problem:
          "14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 198.19.0.7:9090",
      },
    },
  };
  const [f] = executorReadyFindings(at, 503, JSON.stringify(body));
  assert.equal(
    f!.problem,
    `Connection refused: the executor cannot reach performer my-avs of AVS ${AVS} at performer-my-avs.my-avs-project.svc.cluster.local:9090: 14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 198.19.0.7:9090`,
  );
  assert.match(f!.fix, /^check service status and DNS resolution: kubectl get endpoints -n my-avs-project; /);
  assert.match(f!.fix, /nslookup performer-my-avs\.my-avs-project\.svc\.cluster\.local$/);
});

test("an AVS with no performer yet, and the chain down, are each named", () => {
  const body = {
    ready: false,
    stopping: false,
    performers: { [AVS]: null },
    chain: { ready: false, rpcUrl: "http://anvil:8545", problem: "ECONNREFUSED" },
  };
  const findings = executorReadyFindings(at, 503, JSON.stringify(body));
  assert.equal(findings.length, 2);
  assert.match(findings[0]!.problem, new RegExp(`^no performer of AVS ${AVS} takes tasks yet`));
  assert.match(findings[0]!.fix, /^kubectl get performers -n my-avs-project -o yaml/);
  assert.equal(
    findings[1]!.problem,
    "the executor's L1 chain does not answer at http://anvil:8545: ECONNREFUSED",
  );
});

test("an answer that says nothing more is shown as it came, with the logs to read", () => {
  const [plain] = executorReadyFindings(at, 500, "boom\n");
  assert.equal(plain!.problem, "the executor is not ready (HTTP 500): boom");
  assert.equal(plain!.fix, "kubectl logs -n my-avs-project deployment/my-avs-executor");
  for (const text of ["[1]", "null", '{"ready":false}']) {
    const [f] = executorReadyFindings(at, 503, text);
    assert.match(f!.problem, /^the executor is not ready/, text);
  }
});
