// The operator's three admission webhooks: each looks up the cluster facts its decision needs, then decides
// purely. The paths and resources are those registered in registrations.ts.
import { PERFORMER_GROUP, PERFORMER_PLURAL } from "../src/api/performer.ts";
import { type AccessFacts, noAccessChecks } from "./access-facts.ts";
import type { Webhook } from "./admission-app.ts";
import type { AdmissionFacts, NamespaceExecutorConfig } from "./admission-facts.ts";
import type { AdmissionRequest } from "./admission-review.ts";
import { mutatePerformer } from "./mutate-performer.ts";
import { type AccessVerdict, permissionsNeeded } from "./performer-access-rules.ts";
import { validateExecutorConfig } from "./validate-executor-config.ts";
import { isExemptUpdate, type PerformerFacts, validatePerformer } from "./validate-performer.ts";

/** The URL path of each of the operator's webhooks, as registrations.ts registers them. */
export const WEBHOOK_PATHS = {
  validatePerformer: "/validate-performer",
  mutatePerformer: "/mutate-performer",
  validateExecutorConfig: "/validate-executor-config",
} as const;

const PERFORMERS = { group: PERFORMER_GROUP, resource: PERFORMER_PLURAL };
const CONFIGMAPS = { group: "", resource: "configmaps" };

/** The operator's three webhooks over the cluster facts and the authorizer they look up. */
export function hourglassWebhooks(facts: AdmissionFacts, access: AccessFacts = noAccessChecks): Webhook[] {
  return [
    {
      path: WEBHOOK_PATHS.validatePerformer,
      resource: PERFORMERS,
      decide: async (request, signal) =>
        validatePerformer(request, await performerFacts(request, facts, access, signal)),
    },
    {
      path: WEBHOOK_PATHS.mutatePerformer,
      resource: PERFORMERS,
      decide: async (request, signal) =>
        mutatePerformer(request, { executorConfig: await executorConfigFor(request, facts, signal) }),
    },
    {
      path: WEBHOOK_PATHS.validateExecutorConfig,
      resource: CONFIGMAPS,
      decide: async (request) => validateExecutorConfig(request),
    },
  ];
}

/**
 * The namespace and AVS a Performer review is about, when the review needs lookups at all: a write, but not an
 * exempt update, which is not validated again and needs no defaults (an admitted Performer has them all, and the
 * operator's own serve for anything else).
 */
function lookupKey(request: AdmissionRequest): { namespace: string; avsAddress: string } | undefined {
  const avsAddress = (request.object as { spec?: { avsAddress?: unknown } } | null | undefined)?.spec
    ?.avsAddress;
  const writes = request.operation === "CREATE" || request.operation === "UPDATE";
  return writes && !isExemptUpdate(request) && request.namespace && typeof avsAddress === "string"
    ? { namespace: request.namespace, avsAddress }
    : undefined;
}

async function executorConfigFor(
  request: AdmissionRequest,
  facts: AdmissionFacts,
  signal: AbortSignal | undefined,
): Promise<NamespaceExecutorConfig | undefined> {
  const key = lookupKey(request);
  return key ? facts.executorConfig(key.namespace, signal) : undefined;
}

async function performerFacts(
  request: AdmissionRequest,
  facts: AdmissionFacts,
  access: AccessFacts,
  signal: AbortSignal | undefined,
): Promise<PerformerFacts> {
  const key = lookupKey(request);
  if (!key) {
    return { sameAvsPerformers: [] };
  }
  const [executorConfig, sameAvsPerformers, verdicts] = await Promise.all([
    facts.executorConfig(key.namespace, signal),
    facts.performersOfAvs(key.namespace, key.avsAddress, signal),
    accessVerdicts(request, key.namespace, access),
  ]);
  return { executorConfig, sameAvsPerformers, access: { username: request.userInfo?.username, verdicts } };
}

/** The authorizer's answer for each right the spec would use; a review naming no user holds none of them. */
async function accessVerdicts(
  request: AdmissionRequest,
  namespace: string,
  access: AccessFacts,
): Promise<AccessVerdict[]> {
  const spec = (request.object as { spec?: unknown } | null | undefined)?.spec;
  const user = request.userInfo;
  return Promise.all(
    permissionsNeeded(namespace, spec).map(async (needed) =>
      user?.username === undefined
        ? { needed, allowed: false }
        : { needed, ...(await access.access({ ...user, username: user.username }, needed.permission)) },
    ),
  );
}
