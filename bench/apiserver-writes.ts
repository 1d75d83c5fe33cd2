// API writes as the apiserver counts them (apiserver_request_total), by verb and resource, so that a benchmark can
// take the difference between two readings. Only the resources the Performer controller writes are kept; what the
// controller manager writes (endpointslices, service accounts, ...) stays out.
import { get } from "../test/controlplane/controlplane.ts";
import type { Pki } from "../test/controlplane/pki.ts";
import { labelsOf } from "./prometheus-text.ts";

const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);
const CONTROLLER_RESOURCES = new Set(["pods", "services", "performers", "events"]);

/** "VERB resource[/subresource]" → requests so far. */
export type WriteCounts = Map<string, number>;

export function writeCounts(metricsText: string): WriteCounts {
  const counts: WriteCounts = new Map();
  for (const line of metricsText.split("\n")) {
    const match = /^apiserver_request_total\{(.*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = labelsOf(match[1]!);
    if (!WRITE_VERBS.has(labels.verb ?? "") || !CONTROLLER_RESOURCES.has(labels.resource ?? "")) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

/** `after - before`, keeping only what changed. */
export function writesBetween(before: WriteCounts, after: WriteCounts): Record<string, number> {
  const changed: Record<string, number> = {};
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) changed[key] = delta;
  }
  return changed;
}

export function total(writes: Record<string, number>): number {
  return Object.values(writes).reduce((sum, n) => sum + n, 0);
}

export async function readWriteCounts(server: string, pki: Pki): Promise<WriteCounts> {
  const { status, body } = await get(`${server}/metrics`, pki);
  if (status !== 200) throw new Error(`GET ${server}/metrics: ${status}`);
  return writeCounts(body);
}
