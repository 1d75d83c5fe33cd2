// Whether the user behind a review may do a thing themselves: the facts for admission's no-escalation rule (see
// performer-access-rules.ts). A fact source of its own beside AdmissionFacts, so that the cluster reads and the
// authorizer's answers can each be cached their own way.

/** The requesting user of an AdmissionReview (request.userInfo), as a SubjectAccessReview names its subject. */
export interface RequestingUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** One right on a core-group resource in a namespace, as RBAC grants it. */
export interface Permission {
  verb: string;
  resource: string;
  namespace: string;
  /** The object it is about; absent for a right on the whole collection (create pods). */
  name?: string;
}

/** The authorizer's answer to whether a user may do one thing. */
export interface AccessAnswer {
  allowed: boolean;
  /** The authorizer's reason, when it gave one. */
  reason?: string;
}

/** Asks the authorizer about a user's rights, for the no-escalation rule; a fake answers in tests. */
export interface AccessFacts {
  /** Whether `user` holds `permission`; throws AdmissionLookupError when the authorizer cannot be asked in time. */
  access(user: RequestingUser, permission: Permission): Promise<AccessAnswer>;
}

/** Without a cluster there is no authorizer to ask, and no Pod will be created: everything is allowed. */
export const noAccessChecks: AccessFacts = {
  access: async () => ({ allowed: true }),
};
