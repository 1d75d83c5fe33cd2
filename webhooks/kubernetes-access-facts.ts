// AccessFacts from the apiserver's authorizer: one SubjectAccessReview per (user, permission), bounded in time like
// every admission lookup. A grant is remembered for a few seconds, as the apiserver's own webhook authorizer
// caches its answers, so that an executor creating many Performers asks once; a refusal is not, so that a user
// who has just been granted the right is admitted at the next try.
import { AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { requestOptions } from "../src/kube/deadline.ts";
import type { AccessAnswer, AccessFacts, Permission, RequestingUser } from "./access-facts.ts";
import { bounded } from "./bounded-lookup.ts";
import { LOOKUP_TIMEOUT_MS } from "./kubernetes-admission-facts.ts";

/** How long a granted access is remembered; refusals are not remembered. */
export const ACCESS_CACHE_TTL_MS = 10_000;
/** Enough for every user writing Performers at once; the oldest answer goes first past it. */
const ACCESS_CACHE_ENTRIES = 1024;

/** How long a SubjectAccessReview may take and a grant is kept. */
export interface KubernetesAccessFactsOptions {
  timeoutMs?: number;
  cacheTtlMs?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** AccessFacts from SubjectAccessReviews, each bounded in time, grants cached for a few seconds. */
export function kubernetesAccessFacts(
  kubeConfig: KubeConfig,
  options: KubernetesAccessFactsOptions = {},
): AccessFacts {
  const { timeoutMs = LOOKUP_TIMEOUT_MS, cacheTtlMs = ACCESS_CACHE_TTL_MS, now = Date.now } = options;
  const authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
  const cache = new Map<string, { answer: Promise<AccessAnswer>; expires: number }>();
  return {
    access(user, permission) {
      const key = JSON.stringify([user, permission]);
      const cached = cache.get(key);
      if (cached && cached.expires > now()) return cached.answer;
      cache.delete(key);
      // Bounded by the deadline only, not by one review's signal: other reviews may share the answer in flight.
      const answer = ask(authorization, user, permission, timeoutMs);
      cache.set(key, { answer, expires: now() + cacheTtlMs });
      // Nor is a failed lookup: the next review asks again.
      answer.then(
        (a) => a.allowed || cache.delete(key),
        () => cache.delete(key),
      );
      if (cache.size > ACCESS_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      return answer;
    },
  };
}

async function ask(
  authorization: AuthorizationV1Api,
  user: RequestingUser,
  permission: Permission,
  timeoutMs: number,
): Promise<AccessAnswer> {
  const review = await bounded(
    `ask whether ${user.username} may ${permission.verb} ${permission.resource} in namespace ${permission.namespace}`,
    timeoutMs,
    "grant the operator's ServiceAccount create on subjectaccessreviews.authorization.k8s.io",
    (bound) =>
      authorization.createSubjectAccessReview(
        {
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            spec: {
              user: user.username,
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.groups ? { groups: user.groups } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
              resourceAttributes: {
                group: "",
                verb: permission.verb,
                resource: permission.resource,
                namespace: permission.namespace,
                ...(permission.name === undefined ? {} : { name: permission.name }),
              },
            },
          },
        },
        requestOptions(bound),
      ),
  );
  const status = review.status;
  return {
    allowed: status?.allowed === true && status.denied !== true,
    ...(status?.reason ? { reason: status.reason } : {}),
  };
}
