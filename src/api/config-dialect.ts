// The executor config's two spellings, Hourglass's camelCase (`grpcPort`, `l1Chain`) and the guide's snake_case
// (`grpc_port`, `l1_chain`), read into one canonical tree (snake_case keys) so that one schema and one set of rules
// serve both. Problems are found on canonical paths and reported on the keys the file itself spells.
import type { TSchema } from "@sinclair/typebox";
import { error, type Problem, warning } from "./problem.ts";
import { childPath } from "./schema-validation.ts";
import { closestMatch } from "./suggest.ts";
import { pathSegments } from "./yaml-source.ts";

/** How an executor config spells its keys: Hourglass's camelCase or the guide's snake_case. */
export type Dialect = "camelCase" | "snake_case";

/** A camelCase key in snake_case (`l1Chain` → `l1_chain`), the canonical spelling. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A snake_case key in camelCase (`grpc_port` → `grpcPort`), to name keys as a camelCase file spells them. */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Which dialect a key is written in: an upper-case letter is camelCase, an underscore snake_case, else neither. */
function dialectOfKey(key: string): Dialect | undefined {
  if (/[A-Z]/.test(key)) return "camelCase";
  return key.includes("_") ? "snake_case" : undefined;
}

/** An executor config read into snake_case keys, with its dialect and a way back to the file's spelling. */
export interface CanonicalConfig {
  /** The document with every known key spelt snake_case; unknown keys and null values left out. */
  tree: Record<string, unknown>;
  dialect: Dialect;
  /** Mixed dialects, two spellings of one key, unknown keys (warnings). Paths as the file spells them. */
  problems: Problem[];
  /** A canonical path (`avs_performers[0].avs_address`) as the file spells it (`avsPerformers[0].avsAddress`). */
  sourcePath(canonical: string): string;
}

interface Unknown {
  path: string;
  key: string;
  known: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Reads `document` against `schema` (its properties in snake_case). */
export function canonicalize(document: Record<string, unknown>, schema: TSchema): CanonicalConfig {
  const spelled = new Map<string, string>();
  // Canonical paths of the objects whose keys were read against the schema; keys below others are data.
  const objects = new Set<string>();
  const keysBy: Record<Dialect, string[]> = { camelCase: [], snake_case: [] };
  const unknown: Unknown[] = [];
  const problems: Problem[] = [];

  const walk = (value: unknown, node: TSchema, path: string, source: string): unknown => {
    if (Array.isArray(value)) {
      if (node.type !== "array" || !node.items) return value;
      return value.map((item, i) => {
        spelled.set(childPath(path, i), childPath(source, i));
        return walk(item, node.items as TSchema, childPath(path, i), childPath(source, i));
      });
    }
    if (!isObject(value) || node.type !== "object" || !node.properties) return value;
    objects.add(path);
    const properties = node.properties as Record<string, TSchema>;
    const out: Record<string, unknown> = {};
    const firstSpelling = new Map<string, string>();
    for (const [key, inner] of Object.entries(value)) {
      const canonical = snakeCase(key);
      const at = childPath(source, key);
      if (!Object.hasOwn(properties, canonical)) {
        unknown.push({ path: at, key, known: Object.keys(properties) });
        continue;
      }
      const dialect = dialectOfKey(key);
      if (dialect) keysBy[dialect].push(at);
      const earlier = firstSpelling.get(canonical);
      if (earlier !== undefined) {
        problems.push(error(at, `is "${earlier}" spelt another way; give it once`));
        continue;
      }
      firstSpelling.set(canonical, key);
      if (inner === null || inner === undefined) continue; // as Go reads YAML: null is absent
      const canonicalPath = childPath(path, canonical);
      spelled.set(canonicalPath, at);
      out[canonical] = walk(inner, properties[canonical]!, canonicalPath, at);
    }
    return out;
  };
  const tree = walk(document, schema, "", "") as Record<string, unknown>;

  const camel = keysBy.camelCase.length;
  const snake = keysBy.snake_case.length;
  const dialect: Dialect = camel > snake ? "camelCase" : "snake_case";
  if (camel > 0 && snake > 0) {
    const few = (paths: string[]) =>
      paths.slice(0, 5).join(", ") + (paths.length > 5 ? ` and ${paths.length - 5} more` : "");
    const minority = camel > snake ? keysBy.snake_case : keysBy.camelCase;
    problems.push(
      error(
        minority[0]!,
        `mixes the two config dialects: camelCase keys (${few(keysBy.camelCase)}) and snake_case keys ` +
          `(${few(keysBy.snake_case)}); write every key one way, e.g. ${
            dialect === "camelCase" ? "grpcPort, l1Chain" : "grpc_port, l1_chain"
          }`,
      ),
    );
  }
  const spell = (key: string) => (dialect === "camelCase" ? camelCase(key) : key);
  for (const u of unknown) {
    const known = u.known.map(spell);
    const suggestion = closestMatch(u.key, known);
    problems.push(
      warning(
        u.path,
        suggestion
          ? `unknown key "${u.key}"; did you mean "${suggestion}"?`
          : `unknown key "${u.key}"; this executor does not use it (known here: ${known.join(", ")})`,
      ),
    );
  }

  return {
    tree,
    dialect,
    problems,
    sourcePath(canonical) {
      let path = "";
      let source = "";
      for (const segment of pathSegments(canonical)) {
        const parent = path;
        path = childPath(path, segment);
        const key = typeof segment === "string" && objects.has(parent) ? spell(segment) : segment;
        source = spelled.get(path) ?? childPath(source, key);
      }
      return source;
    },
  };
}
