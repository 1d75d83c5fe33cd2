import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadKubeConfig, SERVICE_ACCOUNT_DIR } from "../../../src/kube/kubeconfig.ts";

function kubeconfigFile(dir: string, name: string, server: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return file;
}

/** Runs `fn` with environment variables set (undefined: unset), restoring them afterwards. */
function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    fn();
  } finally {
    apply(saved);
  }
}

test("loadKubeConfig: the flag, then in-cluster, then KUBECONFIG, then ~/.kube/config", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kubeconfig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const flag = kubeconfigFile(dir, "flag.yaml", "https://flag.example:6443");
  const fromEnv = kubeconfigFile(dir, "env.yaml", "https://env.example:6443");
  mkdirSync(join(dir, "home", ".kube"), { recursive: true });
  kubeconfigFile(join(dir, "home", ".kube"), "config", "https://home.example:6443");
  mkdirSync(join(dir, SERVICE_ACCOUNT_DIR), { recursive: true });
  writeFileSync(join(dir, SERVICE_ACCOUNT_DIR, "token"), "sa-token");
  writeFileSync(join(dir, SERVICE_ACCOUNT_DIR, "ca.crt"), "");
  writeFileSync(join(dir, SERVICE_ACCOUNT_DIR, "namespace"), "hourglass-system");
  const server = (options: Parameters<typeof loadKubeConfig>[0]) =>
    loadKubeConfig(options).getCurrentCluster()?.server;

  withEnv(
    {
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      KUBECONFIG: fromEnv,
      HOME: join(dir, "home"),
    },
    () => {
      assert.equal(server({ kubeconfig: flag, serviceAccountRoot: dir }), "https://flag.example:6443");
      assert.equal(server({ serviceAccountRoot: dir }), "https://10.0.0.1:443");
    },
  );
  withEnv({ KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: fromEnv, HOME: join(dir, "home") }, () => {
    assert.equal(server({ serviceAccountRoot: dir }), "https://env.example:6443");
  });
  withEnv({ KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: undefined, HOME: join(dir, "home") }, () => {
    assert.equal(server({ serviceAccountRoot: dir }), "https://home.example:6443");
  });
});

test("loadKubeConfig: a missing file names the path and says what to do", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kubeconfig-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(
    () => loadKubeConfig({ kubeconfig: join(dir, "nope.yaml") }),
    (e: Error) => e.message.includes("--kubeconfig") && e.message.includes(join(dir, "nope.yaml")),
  );
  withEnv({ KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: join(dir, "missing"), HOME: dir }, () => {
    assert.throws(
      () => loadKubeConfig({ serviceAccountRoot: dir }),
      (e: Error) => e.message.includes("KUBECONFIG") && e.message.includes("--kubeconfig"),
    );
  });
});
