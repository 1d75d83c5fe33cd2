// What the mutating webhook fills in on a Performer: pure, only adding what is missing (so that applying it to its
// own output changes nothing), never touching what the author set.
import { avsLabelValue, LABEL_AVS, LABEL_PERFORMER } from "../src/api/performer.ts";
import {
  DEFAULT_DEPLOYMENT_MODE,
  DEFAULT_HEALTH_CHECK,
  OPERATOR_DEFAULTS,
  type PerformerDefaults,
  type ResourceList,
} from "../src/api/performer-defaults.ts";
import { compareQuantities, quantityText, tryParseQuantity } from "../src/api/quantity.ts";

/**
 * Default resources from the namespace's executor config over the operator's, resource by resource. What the config
 * sets is kept, and the operator's value on the other side gives way to it: a config limit of 250m caps the
 * operator's 500m request (else defaulting a Performer would raise the config's limit to that request), and a
 * config request of 3 lifts the operator's limit of 2.
 */
export function resourceDefaults(
  fromConfig: { requests?: ResourceList; limits?: ResourceList } | undefined,
): {
  requests: ResourceList;
  limits: ResourceList;
} {
  const requests = { ...OPERATOR_DEFAULTS.requests, ...fromConfig?.requests };
  const limits = { ...OPERATOR_DEFAULTS.limits, ...fromConfig?.limits };
  for (const name of Object.keys(fromConfig?.limits ?? {})) {
    if (fromConfig?.requests?.[name] === undefined && requests[name] !== undefined) {
      requests[name] = lesser(requests[name], limits[name]);
    }
  }
  for (const name of Object.keys(fromConfig?.requests ?? {})) {
    if (fromConfig?.limits?.[name] === undefined && limits[name] !== undefined) {
      limits[name] = greater(limits[name], requests[name]);
    }
  }
  return { requests, limits };
}

const AVS_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

type JsonObject = Record<string, unknown>;

/**
 * `performer` with every default in place. Input that is not shaped like a Performer (no spec object) is returned
 * as it is: the validating webhook refuses it with a better message than a defaulted object would get.
 */
export function performerWithDefaults(performer: JsonObject, defaults: PerformerDefaults): JsonObject {
  const spec = performer.spec;
  if (!isObject(spec)) {
    return performer;
  }
  // Only what defaulting changes is copied, the spec and the labels: the rest (annotations, managedFields, of any
  // size) is shared with the input, so that a review of megabytes is not held twice.
  const metadata = isObject(performer.metadata) ? performer.metadata : undefined;
  const labels = metadata && isObject(metadata.labels) ? metadata.labels : undefined;
  const result = {
    ...performer,
    ...(metadata ? { metadata: { ...metadata, ...(labels ? { labels: { ...labels } } : {}) } } : {}),
    spec: structuredClone(spec),
  } as JsonObject & { spec: JsonObject };
  defaultLabels(result);
  const resources = objectAt(result.spec, "resources");
  if (resources) {
    defaultResources(resources, defaults);
  }
  const config = objectAt(result.spec, "config");
  if (config && config.grpcPort === undefined) {
    config.grpcPort = defaults.grpcPort;
  }
  const healthCheck = objectAt(result.spec, "healthCheck");
  if (healthCheck) {
    defaultHealthCheck(healthCheck);
  }
  result.spec.deploymentMode ??= DEFAULT_DEPLOYMENT_MODE;
  return result;
}

function defaultLabels(performer: JsonObject): void {
  const metadata = objectAt(performer, "metadata");
  const name = metadata?.name;
  const avsAddress = (performer.spec as JsonObject).avsAddress;
  const wanted: Record<string, string> = {};
  // With generateName the name is not known yet; the label is left to the controller then.
  if (typeof name === "string" && name !== "") {
    wanted[LABEL_PERFORMER] = name;
  }
  // An address that is not one would make an invalid label value, and the apiserver's complaint about the label
  // would hide the validating webhook's about the address.
  if (typeof avsAddress === "string" && AVS_ADDRESS.test(avsAddress)) {
    wanted[LABEL_AVS] = avsLabelValue(avsAddress);
  }
  if (metadata && Object.keys(wanted).length > 0) {
    const labels = objectAt(metadata, "labels");
    if (labels) {
      Object.assign(labels, wanted);
    }
  }
}

function defaultResources(resources: JsonObject, defaults: PerformerDefaults): void {
  const requests = objectAt(resources, "requests");
  const limits = objectAt(resources, "limits");
  if (!requests || !limits) {
    return;
  }
  // A default never contradicts what the author set: a defaulted request is at most the author's limit, and a
  // defaulted limit at least the author's request (otherwise the Pod could not be created).
  for (const [name, value] of Object.entries(defaults.requests)) {
    if (requests[name] === undefined) {
      requests[name] = lesser(value, limits[name]);
    }
  }
  for (const [name, value] of Object.entries(defaults.limits)) {
    if (limits[name] === undefined) {
      limits[name] = greater(value, requests[name]);
    }
  }
}

/** The guide's HTTP probe; a grpc probe targets config.grpcPort, so it takes no path or port. */
function defaultHealthCheck(healthCheck: JsonObject): void {
  healthCheck.type ??= DEFAULT_HEALTH_CHECK.type;
  if (healthCheck.type === "http") {
    healthCheck.path ??= DEFAULT_HEALTH_CHECK.path;
  }
  if (healthCheck.type === "http" || healthCheck.type === "tcp") {
    healthCheck.port ??= DEFAULT_HEALTH_CHECK.port;
  }
  healthCheck.initialDelaySeconds ??= DEFAULT_HEALTH_CHECK.initialDelaySeconds;
  healthCheck.periodSeconds ??= DEFAULT_HEALTH_CHECK.periodSeconds;
}

/** The default, or the other value when that is below it; an unparsable value is left to validation. */
function lesser(fallback: string | number, authored: unknown): string | number {
  return ordered(authored, fallback) < 0 ? (authored as string | number) : fallback;
}

function greater(fallback: string | number, authored: unknown): string | number {
  return ordered(authored, fallback) > 0 ? (authored as string | number) : fallback;
}

/** Sign of authored − fallback; 0 when authored is absent or not a quantity. */
function ordered(authored: unknown, fallback: string | number): number {
  const aText = quantityText(authored);
  const bText = quantityText(fallback);
  const a = aText === undefined ? undefined : tryParseQuantity(aText);
  const b = bText === undefined ? undefined : tryParseQuantity(bText);
  return a !== undefined && b !== undefined ? compareQuantities(a, b) : 0;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `parent[key]`, created empty when absent; undefined when it holds something other than an object. */
function objectAt(parent: JsonObject, key: string): JsonObject | undefined {
  parent[key] ??= {};
  const value = parent[key];
  return isObject(value) ? value : undefined;
}
