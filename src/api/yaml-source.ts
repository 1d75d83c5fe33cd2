// YAML with its positions kept, so that every problem found in a document can name the line it is on.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { error, type Problem } from "./problem.ts";

export interface YamlSource {
  /** The document as plain data; undefined when it has syntax errors. */
  value: unknown;
  /** Syntax errors (duplicate keys among them), each with its line. */
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

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  const syntaxProblems = doc.errors.map((e) => ({
    ...error("(yaml)", e.message.split("\n")[0]!),
    line: lineAt(e.pos[0]),
  }));
  let value: unknown;
  if (syntaxProblems.length === 0) {
    try {
      value = doc.toJS();
    } catch (e) {
      // Aliases that would expand past yaml's limit (a "billion laughs" document) are refused as the document's
      // own problem, like a syntax error, rather than raised.
      const message = `${(e as Error).message}; write the values out instead of through so many aliases`;
      syntaxProblems.push({ ...error("(yaml)", message), line: 1 });
    }
  }
  return {
    value,
    syntaxProblems,
    lineOf(path) {
      let node: unknown = doc.contents;
      let line = lineAt((node as Node | null)?.range?.[0]);
      for (const segment of pathSegments(path)) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
          if (!pair) return line;
          line = lineAt((pair.key as Node).range?.[0]) ?? line;
          node = pair.value;
        } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
          node = node.items[segment];
          line = lineAt((node as Node).range?.[0]) ?? line;
        } else {
          return line;
        }
      }
      return line;
    },
  };
}
