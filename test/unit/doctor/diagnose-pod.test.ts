import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { crashLoopOf, podFindings } from "../../../src/doctor/diagnose-pod.ts";

function pod(container: Partial<V1ContainerStatus>): V1Pod {
  return {
    metadata: { name: "performer-p", namespace: "ns" },
    spec: { nodeName: "node", containers: [{ name: "performer" }] },
    status: {
      phase: "Running",
      containerStatuses: [
        { name: "performer", image: "img:1", imageID: "", ready: false, restartCount: 0, ...container },
      ],
    },
  };
}

const failedRun = { exitCode: 1, reason: "Error" };

test("between restarts (terminated/Error, before the kubelet says CrashLoopBackOff) a crash loop is named with its exit code and log tail", () => {
  const between = pod({
    restartCount: 2,
    state: { terminated: failedRun },
    lastState: { terminated: failedRun },
  });
  const [f, ...rest] = podFindings(between, [], "invalid port none\nexiting");
  assert.equal(rest.length, 0);
  assert.equal(f!.check, "CrashLoopBackOff");
  assert.equal(
    f!.problem,
    "CrashLoopBackOff: container performer crashes on startup (last exit code 1, Error), restarted 2 times; last log lines:\ninvalid port none\nexiting",
  );
  assert.equal(
    f!.fix,
    "check the application's logs and configuration: kubectl logs performer-p -n ns --previous",
  );
});

test("the kubelet's CrashLoopBackOff is named with the last run's exit code; so is a restarted container that is up but not ready", () => {
  const waiting = pod({
    restartCount: 5,
    state: { waiting: { reason: "CrashLoopBackOff" } },
    lastState: { terminated: { exitCode: 137 } },
  });
  assert.match(podFindings(waiting, [])[0]!.problem, /\(last exit code 137\), restarted 5 times$/);
  const bare = pod({ state: { waiting: { reason: "CrashLoopBackOff" } } });
  assert.equal(podFindings(bare, [])[0]!.problem, "CrashLoopBackOff: container performer crashes on startup");
  const up = pod({ restartCount: 1, state: { running: {} }, lastState: { terminated: failedRun } });
  assert.equal(podFindings(up, [])[0]!.check, "CrashLoopBackOff");
});

test("no crash loop: never restarted, restarted after a clean exit, or back up and ready", () => {
  const status = (c: Partial<V1ContainerStatus>) => pod(c).status!.containerStatuses![0]!;
  assert.equal(crashLoopOf(status({ state: { terminated: failedRun } })), undefined);
  assert.equal(
    crashLoopOf(
      status({ restartCount: 1, lastState: { terminated: { exitCode: 0 } }, state: { running: {} } }),
    ),
    undefined,
  );
  assert.equal(
    crashLoopOf(
      status({ restartCount: 3, ready: true, state: { running: {} }, lastState: { terminated: failedRun } }),
    ),
    undefined,
  );
  const unready = pod({ state: { running: {} } });
  assert.equal(podFindings(unready, [])[0]!.check, "Performer Health Check Failures");
});
