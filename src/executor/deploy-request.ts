// What a DeployArtifact request asks of the Performer besides its image: the container's environment and the
// service account, as Hourglass's kubernetes performer maps them (literal values and Secret/ConfigMap references;
// entries with no value source are skipped). value_from_env is refused rather than ignored: it would copy the
// executor's own environment into the Performer, readable by anyone who can read Performers.
import type { PerformerSpec } from "../api/performer.ts";
import type { DeployArtifactRequest, PerformerEnv } from "../grpc/messages.ts";
import { EXECUTOR_ERRORS, executorError } from "./executor-errors.ts";

/** One environment variable of a Performer's container, as the Performer's spec holds it. */
export type PerformerEnvVar = NonNullable<NonNullable<PerformerSpec["config"]>["env"]>[number];

function envVar(env: PerformerEnv, index: number): PerformerEnvVar | undefined {
  const from = env.kubernetes_env?.value_from;
  if (from?.secret_key_ref?.name) {
    const { name, key } = from.secret_key_ref;
    return { name: env.name, valueFrom: { secretKeyRef: { name, key } } };
  }
  if (from?.config_map_key_ref?.name) {
    const { name, key } = from.config_map_key_ref;
    return { name: env.name, valueFrom: { configMapKeyRef: { name, key } } };
  }
  if (env.value) return { name: env.name, value: env.value };
  if (env.value_from_env) {
    throw executorError(
      EXECUTOR_ERRORS.deployInvalid,
      `env[${index}].value_from_env: not supported in kubernetes mode (it would copy the executor's environment into the Performer); use kubernetes_env.value_from.secret_key_ref`,
    );
  }
  return undefined;
}

/** The Performer's spec.config.env for the request's env (empty when it gives none). */
export function performerEnv(env: readonly PerformerEnv[]): PerformerEnvVar[] {
  return env.flatMap((entry, i) => {
    if (!entry.name) {
      throw executorError(EXECUTOR_ERRORS.deployInvalid, `env[${i}].name: required; name the variable`);
    }
    const variable = envVar(entry, i);
    return variable ? [variable] : [];
  });
}

/** What the request asks of the Performer beyond its image. */
export function deploymentOptions(request: Pick<DeployArtifactRequest, "env" | "kubernetes">): {
  env?: PerformerEnvVar[];
  serviceAccountName?: string;
} {
  const env = performerEnv(request.env ?? []);
  const serviceAccountName = request.kubernetes?.service_account_name;
  return { ...(env.length > 0 ? { env } : {}), ...(serviceAccountName ? { serviceAccountName } : {}) };
}
