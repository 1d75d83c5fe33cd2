// The objects of a config/ kustomization, as kustomize builds them, for the kustomizations this repository has:
// `resources` only (files and folders), no patches, prefixes or generators. Anything else is refused, so that the
// chart can never silently differ from what `kubectl kustomize` builds (test/integration/helm.test.ts compares the
// two). `sources` overrides file contents by path: the chart is generated together with the config/ files
// `make manifests` writes, in one pass.
import { readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type Document, parse, parseAllDocuments } from "yaml";

export interface ConfigDocument {
  /** The file the object comes from, relative to the repository root. */
  file: string;
  doc: Document;
}

const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "resources"]);

export function kustomizeResources(
  root: string,
  dir: string,
  sources: ReadonlyMap<string, string> = new Map(),
): ConfigDocument[] {
  const read = (path: string) => sources.get(path) ?? readFileSync(path, "utf8");
  const kustomization = join(dir, "kustomization.yaml");
  const spec = parse(read(kustomization)) as Record<string, unknown>;
  const unsupported = Object.keys(spec).filter((k) => !KUSTOMIZATION_KEYS.has(k));
  if (unsupported.length > 0) {
    throw new Error(
      `${relative(root, kustomization)}: ${unsupported.join(", ")} not supported by the chart generator ` +
        "(scripts/chart): keep config/ to plain resources, or teach the generator the field",
    );
  }
  return ((spec.resources ?? []) as string[]).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return kustomizeResources(root, path, sources);
    return parseAllDocuments(read(path))
      .filter((doc) => doc.contents !== null)
      .map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${relative(root, path)}: ${doc.errors[0]!.message}`);
        return { file: relative(root, path), doc };
      });
  });
}
