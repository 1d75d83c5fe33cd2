// One object of config/ turned into Helm template text. The parsed YAML keeps its comments; each value the chart
// makes configurable is replaced by a placeholder scalar, the document is printed, and each placeholder is then
// rewritten into template text (an inline expression, a `toYaml` block, an optional key, a conditional key).
// Printing the YAML first and templating lines after keeps indentation right without a template-aware printer.
import { type Document, isMap, isScalar, isSeq, type Node, Scalar, YAMLMap } from "yaml";

/** A step into the document: a map key, a sequence index, `{ name }` for the list item of that name, `*` for all. */
export type Segment = string | number | { name: string } | "*";

type Hole =
  | { kind: "inline"; text: string }
  | { kind: "block"; key: string; values: string }
  | { kind: "optional"; key: string; values: string; block: boolean }
  | { kind: "merge"; values: string }
  | { kind: "include"; template: string }
  | { kind: "when"; key: string; condition: string };

type Resolved = (string | number)[];

const PLACEHOLDER = /__tpl(\d+)__/;

export class TemplateDocument {
  readonly #doc: Document;
  readonly #where: string;
  readonly #holes: Hole[] = [];

  /** `where` names the object in errors: a rule that no longer matches config/ must fail, not vanish. */
  constructor(doc: Document, where: string) {
    this.#doc = doc;
    this.#where = where;
  }

  /** The plain value at `path` (the first match of a wildcard). */
  value(path: Segment[]): unknown {
    return this.values(path)[0];
  }

  has(path: Segment[]): boolean {
    return this.#matches(path).length > 0;
  }

  /** Every value `path` matches. */
  values(path: Segment[]): unknown[] {
    return this.#resolve(path).map((p) => {
      const node = this.#doc.getIn(p, true) as Node;
      return isScalar(node) ? node.value : (node.toJSON() as unknown);
    });
  }

  /** Replaces the scalar(s) at `path` by template text, given the current value. */
  inline(path: Segment[], text: (current: string) => string): void {
    for (const p of this.#resolve(path)) {
      const current = this.#doc.getIn(p, true);
      if (!isScalar(current)) throw new Error(`${this.#where}: ${show(p)} is not a scalar`);
      this.#doc.setIn(p, this.#placeholder({ kind: "inline", text: text(String(current.value)) }));
    }
  }

  /** Replaces the map or list at `path` by `toYaml` of a values entry. */
  block(path: Segment[], values: string): void {
    for (const p of this.#resolve(path)) {
      this.#doc.setIn(p, this.#placeholder({ kind: "block", key: String(p.at(-1)), values }));
    }
  }

  /** Adds `key` to the map at `path`, present only when the values entry is not empty. */
  optional(path: Segment[], key: string, values: string, block: boolean): void {
    this.#addEntry(path, { kind: "optional", key, values, block });
  }

  /** Adds the entries of a values map to the map at `path`. */
  merge(path: Segment[], values: string): void {
    this.#addEntry(path, { kind: "merge", values });
  }

  /** Adds the entries of a named template to the map at `path`, creating the map when missing. */
  include(path: Segment[], template: string): void {
    const [parent, key] = [path.slice(0, -1), path.at(-1)!];
    const [p] = this.#resolve(parent);
    if (this.#doc.getIn([...p!, key as string]) === undefined)
      this.#doc.setIn([...p!, key as string], new YAMLMap());
    this.#addEntry(path, { kind: "include", template });
  }

  /** Keeps the key at `path` (with all beneath it) only when `condition` holds. */
  when(path: Segment[], condition: string): void {
    for (const p of this.#resolve(path)) {
      const parent = this.#doc.getIn(p.slice(0, -1), true);
      const pair = isMap(parent)
        ? parent.items.find((i) => isScalar(i.key) && i.key.value === p.at(-1))
        : undefined;
      if (!pair) throw new Error(`${this.#where}: ${show(p)} is not a map entry`);
      pair.key = this.#placeholder({ kind: "when", key: String(p.at(-1)), condition });
    }
  }

  /** Adds `key: value` to the map at `path`, only when `condition` holds. */
  addWhen(path: Segment[], key: string, condition: string, value: unknown): void {
    for (const p of this.#resolve(path)) {
      const map = this.#doc.getIn(p, true);
      if (!isMap(map)) throw new Error(`${this.#where}: ${show(p)} is not a map`);
      map.set(this.#placeholder({ kind: "when", key, condition }), this.#doc.createNode(value));
    }
  }

  /** A placeholder scalar for inline template text, to put into values given to addWhen. */
  text(text: string): Scalar {
    return this.#placeholder({ kind: "inline", text });
  }

  /** The template text of this object. */
  render(): string {
    const lines = this.#doc
      .toString({ lineWidth: 0, directives: false })
      .replaceAll("{{", '{{ "{{" }}')
      .split("\n");
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const hole = this.#lineHole(line);
      if (!hole) {
        out.push(line);
        continue;
      }
      const indent = /^ */.exec(line)![0];
      const n = indent.length;
      switch (hole.kind) {
        case "block":
          out.push(
            `${indent}${hole.key}:`,
            `${indent}  {{- toYaml .Values.${hole.values} | nindent ${n + 2} }}`,
          );
          break;
        case "optional":
          out.push(`${indent}{{- with .Values.${hole.values} }}`);
          if (hole.block) out.push(`${indent}${hole.key}:`, `${indent}  {{- toYaml . | nindent ${n + 2} }}`);
          else out.push(`${indent}${hole.key}: {{ . | quote }}`);
          out.push(`${indent}{{- end }}`);
          break;
        case "merge":
          out.push(`${indent}{{- with .Values.${hole.values} }}`, `${indent}{{- toYaml . | nindent ${n} }}`);
          out.push(`${indent}{{- end }}`);
          break;
        case "include":
          out.push(`${indent}{{- include "${hole.template}" . | nindent ${n} }}`);
          break;
        case "when": {
          out.push(`${indent}{{- if ${hole.condition} }}`, line.replace(PLACEHOLDER, hole.key));
          // The key's value: the lines indented below it (a list may also sit at the key's own indentation).
          while (i + 1 < lines.length && within(lines[i + 1]!, n)) out.push(lines[++i]!);
          out.push(`${indent}{{- end }}`);
          break;
        }
        case "inline":
          throw new Error(`${this.#where}: an inline value was printed as a key`);
      }
    }
    return out.join("\n").replace(new RegExp(PLACEHOLDER, "g"), (_, i: string) => {
      const hole = this.#holes[Number(i)]!;
      if (hole.kind !== "inline") throw new Error(`${this.#where}: a ${hole.kind} placeholder inside a line`);
      return hole.text;
    });
  }

  /** The line-level hole a printed line carries: a placeholder as its key, or as the value of a map entry. */
  #lineHole(line: string): Hole | undefined {
    const key = /^ *(?:- )?__tpl(\d+)__:/.exec(line);
    const value = /^ *[^ ].*: __tpl(\d+)__$/.exec(line);
    const hole = this.#holes[Number((key ?? value)?.[1] ?? -1)];
    if (!hole || hole.kind === "inline") return undefined;
    if (/^ *- /.test(line))
      throw new Error(`${this.#where}: a ${hole.kind} placeholder on a list item's line`);
    return hole;
  }

  #addEntry(path: Segment[], hole: Hole): void {
    for (const p of this.#resolve(path)) {
      const map = this.#doc.getIn(p, true);
      if (!isMap(map)) throw new Error(`${this.#where}: ${show(p)} is not a map`);
      map.set(this.#placeholder(hole), "");
    }
  }

  #placeholder(hole: Hole): Scalar {
    this.#holes.push(hole);
    return new Scalar(`__tpl${this.#holes.length - 1}__`);
  }

  /** The concrete paths `path` names; none is an error naming the object and the path. */
  #resolve(path: Segment[]): Resolved[] {
    const paths = this.#matches(path);
    if (paths.length === 0) throw new Error(`${this.#where}: nothing at ${show(path)}`);
    return paths;
  }

  #matches(path: Segment[]): Resolved[] {
    let paths: Resolved[] = [[]];
    for (const segment of path) {
      paths = paths.flatMap((p) => {
        const node = p.length === 0 ? this.#doc.contents : this.#doc.getIn(p, true);
        if (segment === "*") return isSeq(node) ? node.items.map((_, i) => [...p, i]) : [];
        if (typeof segment === "object") {
          if (!isSeq(node)) return [];
          const i = node.items.findIndex((item) => isMap(item) && item.get("name") === segment.name);
          return i < 0 ? [] : [[...p, i]];
        }
        const child =
          typeof segment === "number" ? isSeq(node) && node.items[segment] : isMap(node) && node.has(segment);
        return child ? [[...p, segment]] : [];
      });
    }
    return paths;
  }
}

function within(line: string, indent: number): boolean {
  const n = /^ */.exec(line)![0].length;
  return line.trim() !== "" && (n > indent || (n === indent && line.slice(n).startsWith("- ")));
}

function show(path: readonly (Segment | number)[]): string {
  return path
    .map((s) => (typeof s === "object" ? `[name=${s.name}]` : typeof s === "number" ? `[${s}]` : `.${s}`))
    .join("");
}
