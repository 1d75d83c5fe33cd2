// No escalation through the operator: the operator creates a Performer's Pod with its own rights, so a Performer
// may ask for a ServiceAccount or Secrets only if the user who writes it could use them without the operator.
// Pure: which rights a spec needs is computed here, whether the user holds them comes in as data.

import { error, type Problem, shown } from "../src/api/problem.ts";
import { childPath } from "../src/api/schema-validation.ts";
import type { AccessAnswer, Permission } from "./access-facts.ts";

/** A right the Performer's Pod would exercise on its author's behalf, and the fields that ask for it. */
export interface NeededPermission {
  permission: Permission;
  path: string;
  /** What the Pod would do with it, for the message. */
  use: string;
}

/** The authorizer's answer about one right a Performer's spec would use. */
export interface AccessVerdict extends AccessAnswer {
  needed: NeededPermission;
}

interface AccessSpec {
  serviceAccountName?: unknown;
  imagePullSecrets?: unknown;
  config?: { env?: unknown };
}

/**
 * The rights the Pod of `spec` would use:
 * - a ServiceAccount (any name set, `default` and "" included, since then its token is mounted): `create pods` in
 *   the namespace. That is all Kubernetes itself asks of someone creating a Pod that runs as one of the
 *   namespace's ServiceAccounts (the ServiceAccount admission plugin checks only that it exists), so it is exactly
 *   the right the user would need to get this Pod without the operator; asking `impersonate serviceaccounts` would
 *   ask more than Kubernetes does.
 * - each Secret read into the environment (env[].valueFrom.secretKeyRef) or used to pull the image
 *   (imagePullSecrets): `get` on that Secret, which is what reading it directly takes.
 */
export function permissionsNeeded(namespace: string, spec: unknown): NeededPermission[] {
  if (spec === null || typeof spec !== "object") return [];
  const { serviceAccountName, imagePullSecrets, config } = spec as AccessSpec;
  const needed: NeededPermission[] = [];
  if (typeof serviceAccountName === "string") {
    needed.push({
      permission: { verb: "create", resource: "pods", namespace },
      path: "spec.serviceAccountName",
      use: `run a Pod as ServiceAccount ${shown(serviceAccountName || "default")}`,
    });
  }
  const secret = (name: string, path: string, use: string) =>
    needed.push({ permission: { verb: "get", resource: "secrets", namespace, name }, path, use });
  listOf(config?.env).forEach((env, i) => {
    const name = (env as { valueFrom?: { secretKeyRef?: { name?: unknown } } } | null)?.valueFrom
      ?.secretKeyRef?.name;
    if (typeof name === "string") {
      secret(name, `${childPath("spec.config.env", i)}.valueFrom.secretKeyRef`, `read Secret ${shown(name)}`);
    }
  });
  listOf(imagePullSecrets).forEach((ref, i) => {
    const name = (ref as { name?: unknown } | null)?.name;
    if (typeof name === "string") {
      secret(name, childPath("spec.imagePullSecrets", i), `pull with Secret ${shown(name)}`);
    }
  });
  return needed;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** One error per right the user lacks, naming the right, so that it can be granted or the field left out. */
export function accessProblems(username: string | undefined, verdicts: readonly AccessVerdict[]): Problem[] {
  return verdicts
    .filter((v) => !v.allowed)
    .map(({ needed: { permission, path, use }, reason }) =>
      error(
        path,
        `${username === undefined ? "the review names no requesting user, who" : `user ${shown(username)}`} ` +
          `may not ${permission.verb} ${permission.resource}${permission.name === undefined ? "" : ` ${shown(permission.name)}`} ` +
          `in namespace ${permission.namespace}, which the Performer's Pod would need to ${use}; ` +
          `the operator creates it with its own rights, so grant that to whoever writes this Performer, or leave the field out` +
          (reason ? ` (authorizer: ${shown(reason)})` : ""),
      ),
    );
}
