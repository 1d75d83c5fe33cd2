// RBAC rules as people write them in a Role: what a process needs, what a Forbidden says it lacked, and the line
// to add. Pure; the access reviews that test them are made by their callers (the operator, `hourglass doctor`).

/** One permission as a Role grants it, with why the process needs it. */
export interface RbacRule {
  verb: string;
  /** "" for the core group. */
  group: string;
  /** With its subresource, as RBAC names it: "performers/status". */
  resource: string;
  /** Only for rules granted in one namespace (a Role): the namespace they are checked in. */
  namespace?: string;
  /** What the rule is for, said to the person who must grant it. */
  why: string;
}

/** `patch performers/status` (group hourglass.eigenlayer.io) — how a log line or a finding names a rule. */
export function ruleName(rule: Pick<RbacRule, "verb" | "group" | "resource">): string {
  return `${rule.verb} ${rule.resource}${rule.group ? ` (${rule.group})` : ""}`;
}

/** The rule's line in a Role's `rules:` list, to paste as it is. */
export function ruleYaml(rule: Pick<RbacRule, "verb" | "group" | "resource">): string {
  return `- apiGroups: ["${rule.group}"]  resources: ["${rule.resource}"]  verbs: ["${rule.verb}"]`;
}

/**
 * The rule an RBAC denial names, from the apiserver's message (`… cannot patch resource "performers/status" in
 * API group "hourglass.eigenlayer.io" …`); undefined for other 403s (a quota, an admission policy).
 */
export function deniedRule(message: string): Pick<RbacRule, "verb" | "group" | "resource"> | undefined {
  const match = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"/.exec(message);
  if (!match) return undefined;
  return { verb: match[1]!, resource: match[2]!, group: match[3]! };
}
