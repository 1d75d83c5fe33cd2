// `hourglass doctor --bundle DIR`: the troubleshooting guide's "Information to Gather" in one tarball —
// versions and nodes, the executor configs with secrets masked, operator and executor logs, events, and the
// YAML of our objects — plus the doctor's own report. Secrets themselves are never read.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig, VersionApi } from "@kubernetes/client-node";
import { stringify } from "yaml";
import {
  LABEL_EXECUTOR_CONFIG,
  PERFORMER_GROUP,
  PERFORMER_PLURAL,
  PERFORMER_VERSION,
} from "../api/performer.ts";
import { apiErrorMessage } from "../kube/api-errors.ts";
import { EXECUTOR_LABEL, OPERATOR_NAMESPACE } from "./checks.ts";
import { sanitizedConfig } from "./sanitize.ts";

/** Each part of the bundle is read on its own: one that fails is a note in its file, not a missing bundle. */
async function part(read: () => Promise<unknown>): Promise<string> {
  try {
    const value = await read();
    return typeof value === "string" ? value : stringify(value);
  } catch (error) {
    return `# could not be read: ${apiErrorMessage(error)}\n`;
  }
}

async function podLogs(core: CoreV1Api, namespace: string, labelSelector: string): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector });
  const logs = await Promise.all(
    pods.items.map(async (pod) => {
      const name = pod.metadata!.name!;
      const containers = pod.spec?.containers.map((c) => c.name) ?? [];
      const each = await Promise.all(
        containers.map(async (container) => {
          const text = await part(() =>
            core.readNamespacedPodLog({ name, namespace, container, sinceSeconds: 3600 }),
          );
          return `=== pod/${name} container ${container}\n${text}`;
        }),
      );
      return each.join("\n");
    }),
  );
  return logs.join("\n") || `# no Pods labelled ${labelSelector} in ${namespace}\n`;
}

/** Writes DIR/hourglass-diagnostics-<time>.tar.gz and returns its path. */
export async function writeBundle(
  kubeConfig: KubeConfig,
  namespaces: string[],
  report: string,
  dir: string,
): Promise<string> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const name = `hourglass-diagnostics-${stamp}`;
  const work = await mkdtemp(join(tmpdir(), "hourglass-bundle-"));
  const root = join(work, name);
  try {
    const files: Record<string, Promise<string>> = {
      "doctor.txt": Promise.resolve(report),
      "environment/version.yaml": part(() => kubeConfig.makeApiClient(VersionApi).getCode()),
      "environment/cluster-info.txt": Promise.resolve(`server: ${kubeConfig.getCurrentCluster()?.server}\n`),
      "environment/nodes.yaml": part(() => core.listNode()),
      "logs/hourglass-operator.log": part(() => podLogs(core, OPERATOR_NAMESPACE, "app=hourglass-operator")),
      [`${OPERATOR_NAMESPACE}/deployments.yaml`]: part(() =>
        apps.listNamespacedDeployment({ namespace: OPERATOR_NAMESPACE }),
      ),
      [`${OPERATOR_NAMESPACE}/events.yaml`]: part(() =>
        core.listNamespacedEvent({ namespace: OPERATOR_NAMESPACE }),
      ),
    };
    for (const namespace of namespaces) {
      files[`${namespace}/performers.yaml`] = part(() =>
        custom.listNamespacedCustomObject({
          group: PERFORMER_GROUP,
          version: PERFORMER_VERSION,
          namespace,
          plural: PERFORMER_PLURAL,
        }),
      );
      files[`${namespace}/pods.yaml`] = part(() => core.listNamespacedPod({ namespace }));
      files[`${namespace}/services.yaml`] = part(() => core.listNamespacedService({ namespace }));
      files[`${namespace}/deployments.yaml`] = part(() => apps.listNamespacedDeployment({ namespace }));
      files[`${namespace}/events.yaml`] = part(() => core.listNamespacedEvent({ namespace }));
      files[`${namespace}/resourcequotas.yaml`] = part(() => core.listNamespacedResourceQuota({ namespace }));
      files[`${namespace}/executor.log`] = part(() => podLogs(core, namespace, EXECUTOR_LABEL));
      files[`${namespace}/executor-configs.yaml`] = part(async () => {
        const list = await core.listNamespacedConfigMap({
          namespace,
          labelSelector: `${LABEL_EXECUTOR_CONFIG}=true`,
        });
        return list.items
          .map((cm) =>
            Object.entries(cm.data ?? {})
              .map(([key, text]) => `# configmap/${cm.metadata?.name} key ${key}\n${sanitizedConfig(text)}`)
              .join("\n"),
          )
          .join("---\n");
      });
    }
    for (const [file, content] of Object.entries(files)) {
      await mkdir(join(root, file, ".."), { recursive: true });
      await writeFile(join(root, file), await content);
    }
    await mkdir(dir, { recursive: true });
    const tarball = join(dir, `${name}.tar.gz`);
    await promisify(execFile)("tar", ["-czf", tarball, "-C", work, name]);
    return tarball;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
