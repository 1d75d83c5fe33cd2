// What the operator must be allowed to do, checked with SelfSubjectAccessReviews at start and again while
// something is missing, and learned from every Forbidden: a ClusterRole cut short (the troubleshooting guide's
// own snippet lacks performers/status, performers/finalizers, configmaps and events) is named rule by rule in a
// log line, and the reconciler puts it in a condition and an Event on each Performer, instead of failing quietly.
import { AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { PERFORMER_GROUP, PERFORMER_PLURAL } from "../src/api/performer.ts";
import { apiErrorMessage, apiStatusCode } from "../src/kube/api-errors.ts";
import { deniedRule, type RbacRule, ruleName, ruleYaml } from "../src/kube/rbac-rules.ts";

/** The ClusterRole config/rbac/role.yaml ships; the leases rule is the Role beside it in the Lease's namespace. */
export const OPERATOR_CLUSTER_ROLE = "hourglass-operator";

/** Every rule the operator uses (config/rbac/role.yaml and leader_election_role.yaml grant exactly these). */
export function operatorRules(leaseNamespace: string): RbacRule[] {
  const performers = (verb: string, sub = "", why = "") => ({
    verb,
    group: PERFORMER_GROUP,
    resource: `${PERFORMER_PLURAL}${sub}`,
    why,
  });
  const core = (verb: string, resource: string, why: string) => ({ verb, group: "", resource, why });
  return [
    performers("list", "", "the controller's cache of Performers"),
    performers("watch", "", "the controller's cache of Performers"),
    performers("get", "", "confirming a Performer is gone before removing what it left"),
    performers("patch", "/status", "writing each Performer's phase and conditions"),
    performers("update", "/finalizers", "creating its Pod and Service with blockOwnerDeletion"),
    core("list", "pods", "the controller's cache of Pods"),
    core("watch", "pods", "the controller's cache of Pods"),
    core("create", "pods", "running each Performer"),
    core("delete", "pods", "replacing a Performer's Pod"),
    core("list", "services", "the controller's cache of Services"),
    core("watch", "services", "the controller's cache of Services"),
    core("create", "services", "each Performer's endpoint"),
    core("patch", "services", "correcting a Service that drifted"),
    core("delete", "services", "removing a Service a deleted Performer left"),
    core("list", "configmaps", "the webhooks' check of the namespace's executor config"),
    core("create", "events", "telling people what happened to their Performers"),
    ...["get", "create", "update"].map((verb) => ({
      verb,
      group: "coordination.k8s.io",
      resource: "leases",
      namespace: leaseNamespace,
      why: "leader election (Role hourglass-leader-election)",
    })),
  ];
}

/** Rules found missing, by ruleName; shared by the start-up check and the reconciler. */
export class MissingPermissions {
  readonly #rules = new Map<string, Pick<RbacRule, "verb" | "group" | "resource">>();
  readonly #logger: Logger;
  /** Called when the set changes, so that every Performer's condition is brought up to date. */
  onChange: () => void = () => {};

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Records a missing rule and says so in one log line with the rule to add. */
  report(rule: Pick<RbacRule, "verb" | "group" | "resource">, seenIn: string): void {
    const name = ruleName(rule);
    this.#logger.error(
      { rule: name, fix: ruleYaml(rule), seenIn },
      `missing permission: the operator may not ${name}; add this rule to ClusterRole ${OPERATOR_CLUSTER_ROLE}`,
    );
    if (this.#rules.has(name)) return;
    this.#rules.set(name, rule);
    this.onChange();
  }

  /**
   * Reports the rule a 403 names and returns true; false for anything else, including 403s that are no RBAC
   * denial (a ResourceQuota, an admission policy).
   */
  reportForbidden(error: unknown, seenIn: string): boolean {
    if (apiStatusCode(error) !== 403) return false;
    const rule = deniedRule(apiErrorMessage(error));
    if (rule) this.report(rule, seenIn);
    return rule !== undefined;
  }

  /** Forgets a rule once an access review finds it granted. */
  granted(rule: Pick<RbacRule, "verb" | "group" | "resource">): void {
    if (this.#rules.delete(ruleName(rule))) this.onChange();
  }

  /** The missing rules by name, sorted, as the Performers' condition lists them. */
  list(): string[] {
    return [...this.#rules.keys()].sort();
  }
}

/** Whether the caller may use `rule`: a SelfSubjectAccessReview, cluster-wide unless the rule names a namespace. */
export type AccessReview = (rule: RbacRule) => Promise<boolean>;

/** An AccessReview that asks the apiserver, with a SelfSubjectAccessReview, whether the operator may do one
 * rule. */
export function selfAccessReview(kubeConfig: KubeConfig): AccessReview {
  const api = kubeConfig.makeApiClient(AuthorizationV1Api);
  return async (rule) => {
    const [resource, subresource] = rule.resource.split("/");
    const review = await api.createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            verb: rule.verb,
            group: rule.group,
            resource,
            ...(subresource ? { subresource } : {}),
            ...(rule.namespace ? { namespace: rule.namespace } : {}),
          },
        },
      },
    });
    return review.status?.allowed === true;
  };
}

/** Asks about every rule; reports those denied, clears those granted. A review that fails is left as it was. */
export async function checkPermissions(
  review: AccessReview,
  rules: RbacRule[],
  missing: MissingPermissions,
  logger: Logger,
): Promise<void> {
  await Promise.all(
    rules.map(async (rule) => {
      try {
        if (await review(rule)) missing.granted(rule);
        else missing.report(rule, "access review");
      } catch (error) {
        logger.warn({ rule: ruleName(rule), error: apiErrorMessage(error) }, "could not review a permission");
      }
    }),
  );
}
