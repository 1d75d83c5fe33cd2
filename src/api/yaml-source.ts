// YAML with its positions kept, so that every problem found in a document can name the line it is on. Parsing is
// bounded (size, aliases, nesting), and the lines of all nodes are indexed in one pass, so that a document with
// tens of thousands of problems costs time in proportion to its size, not to its size squared.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { error, type Problem } from "./problem.ts";

/** A ConfigMap holds at most 1 MiB, and a config has no reason to be larger. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Aliases expanded when the document becomes data; a real config has a handful, a YAML bomb millions. */
export const MAX_YAML_ALIASES = 100;
/** Flow collections (`[`, `{`) inside each other; a config nests a few, the parser recurses on each. */
export const MAX_FLOW_DEPTH = 64;

/** A parsed YAML document with the line of every node, so that problems can name lines. */
export interface YamlSource {
  /** The document as plain data; undefined when it has syntax errors. */
  value: unknown;
  /** Syntax errors (duplicate keys among them) and exceeded bounds, each with its line. */
  syntaxProblems: Problem[];
  /** The line of the node at `path` (dotted, as Problem paths are), or of its nearest ancestor that exists. */
  lineOf(path: string): number | undefined;
}

/** `a.b[2].c` and `limits[nvidia.com/gpu]` to ["a", "b", 2, "c"] and ["limits", "nvidia.com/gpu"]. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else segments.push(/^\d+$/.test(match[2]!) ? Number(match[2]) : match[2]!);
  }
  return segments;
}

const SEPARATOR = "\u0000";
const keyOf = (segments: readonly (string | number)[]) => segments.join(SEPARATOR);

/** The problem with a document over the 1 MiB a ConfigMap can hold; none when it fits. */
export function sizeProblem(bytes: number, path: string): Problem | undefined {
  return bytes > MAX_YAML_BYTES
    ? error(
        path,
        `is ${bytes} bytes; an executor config may be at most ${MAX_YAML_BYTES} bytes (1 MiB, a ConfigMap's limit)`,
      )
    : undefined;
}

function failed(message: string, line?: number): YamlSource {
  return {
    value: undefined,
    syntaxProblems: [{ ...error("(yaml)", message), line }],
    lineOf: () => undefined,
  };
}

/**
 * The deepest nesting of `[` and `{`, roughly (quotes and comments skipped, brackets inside plain scalars counted):
 * enough to refuse a document before the parser recurses into it, never so strict as to refuse a config.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote || c === "\n") quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (c === "[" || c === "{") deepest = Math.max(deepest, ++depth);
    else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return deepest;
}

/** Parses YAML within bounds (size, nesting, aliases) and indexes every node's line in one pass. */
export function parseYamlSource(text: string): YamlSource {
  const tooBig = sizeProblem(Buffer.byteLength(text, "utf8"), "(document)");
  if (tooBig) return { value: undefined, syntaxProblems: [tooBig], lineOf: () => undefined };
  if (flowDepth(text) > MAX_FLOW_DEPTH) {
    return failed(`nests [ ] and { } more than ${MAX_FLOW_DEPTH} deep, which no config does`);
  }
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  let doc: ReturnType<typeof parseDocument>;
  try {
    // Duplicate keys are found by the line index below: the library's own check compares each key with every
    // earlier one of its map, which takes minutes on a map of 100,000 keys.
    doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  } catch (e) {
    if (e instanceof RangeError) return failed("is nested too deeply to be an executor config");
    throw e;
  }
  const { index, duplicates } = lineIndex(doc.contents as Node | null, lineAt);
  const syntaxProblems = [
    ...doc.errors.map((e) => ({ ...error("(yaml)", e.message.split("\n")[0]!), line: lineAt(e.pos[0]) })),
    ...duplicates.map((line) => ({ ...error("(yaml)", "Map keys must be unique"), line })),
  ].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (syntaxProblems.length > 0) return { value: undefined, syntaxProblems, lineOf: () => undefined };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    // The yaml library throws (rather than reporting) on too many aliases, and the stack overflows on nesting
    // deeper than any config has; both are bad input, said as such.
    if (e instanceof RangeError) return failed("is nested too deeply to be an executor config");
    const message = (e as Error).message;
    return failed(
      /alias/i.test(message)
        ? `uses more than ${MAX_YAML_ALIASES} aliases (* references), which no config needs; write the values out`
        : message.split("\n")[0]!,
    );
  }
  return {
    value,
    syntaxProblems: [],
    lineOf(path) {
      const segments = pathSegments(path);
      for (let n = segments.length; n >= 0; n--) {
        const line = index.get(keyOf(segments.slice(0, n)));
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}

/**
 * Every node's line by its path (a map entry's is its key's line), and the lines of keys that repeat one of their
 * map, in one walk over the document.
 */
function lineIndex(root: Node | null, lineAt: (offset: number | undefined) => number | undefined) {
  const index = new Map<string, number>();
  const duplicates: number[] = [];
  const stack: { node: unknown; segments: (string | number)[]; line: number | undefined }[] = [
    { node: root, segments: [], line: lineAt(root?.range?.[0]) },
  ];
  while (stack.length > 0) {
    const { node, segments, line } = stack.pop()!;
    const key = keyOf(segments);
    // The first entry of a path wins, as a lookup by key finds the first.
    if (line !== undefined && !index.has(key)) index.set(key, line);
    if (isMap(node)) {
      const keys = new Set<string>();
      const children: typeof stack = [];
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const at = lineAt((pair.key as Node).range?.[0]) ?? line;
        if (keys.has(name)) duplicates.push(at ?? 1);
        keys.add(name);
        children.push({ node: pair.value, segments: [...segments, name], line: at });
      }
      stack.push(...children.reverse());
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        stack.push({
          node: item,
          segments: [...segments, i],
          line: lineAt((item as Node)?.range?.[0]) ?? line,
        });
      });
    }
  }
  return { index, duplicates: duplicates.sort((a, b) => a - b) };
}
