// Every exported declaration of the operator's and the executor's code carries a JSDoc comment saying what it is
// for, as controller-runtime documents all of its exported API. Counted: exported functions, classes, interfaces,
// type aliases, enums and variables (each name of an `export const a = 1, b = 2`), and the public members of an
// exported class (but for its constructor and the members that override an inherited one, documented where they
// are declared first); not counted: re-exports (`export { x } from`), documented where they live, and the fields
// of interfaces and types, which describe data rather than behaviour.
// Prints file:line and name of each one that lacks a comment and exits 1 when there is any.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

/** The folders whose exports make up the project's API. */
const ROOTS = ["src", "controllers", "webhooks"];

/** One exported declaration with no JSDoc comment. */
export interface Undocumented {
  file: string;
  /** 1-based, the declaration's first line after its comments. */
  line: number;
  name: string;
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && !!ts.getModifiers(node)?.some((m) => m.kind === kind);
}

function isExported(node: ts.Node): boolean {
  return hasModifier(node, ts.SyntaxKind.ExportKeyword);
}

/** The members of a class that its users call or read: public, declared here (not overriding), not the constructor. */
function publicMembers(declaration: ts.ClassDeclaration): { name: string; node: ts.ClassElement }[] {
  return declaration.members.flatMap((member) => {
    const name = member.name;
    if (!name || ts.isPrivateIdentifier(name) || ts.isConstructorDeclaration(member)) return [];
    const hidden = [
      ts.SyntaxKind.PrivateKeyword,
      ts.SyntaxKind.ProtectedKeyword,
      ts.SyntaxKind.OverrideKeyword,
    ];
    if (hidden.some((kind) => hasModifier(member, kind))) return [];
    return [{ name: `${declaration.name?.getText() ?? "default"}.${name.getText()}`, node: member }];
  });
}

/** A JSDoc block with some text: an empty `/** *\/` documents nothing. */
function hasDocComment(node: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(node).some((doc) => {
    if (!ts.isJSDoc(doc)) return false;
    const text = typeof doc.comment === "string" ? doc.comment : ts.getTextOfJSDocComment(doc.comment);
    return (text ?? "").trim() !== "" || (doc.tags?.length ?? 0) > 0;
  });
}

/** The names a top-level statement exports by declaring them, or none when it exports nothing of its own. */
function declaredNames(statement: ts.Statement): string[] {
  if (!isExported(statement)) return [];
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.map((d) => d.name.getText());
  }
  if (
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement) ||
    ts.isModuleDeclaration(statement)
  ) {
    return [statement.name?.getText() ?? "default"];
  }
  return [];
}

/** The exported declarations of one source text that lack a JSDoc comment. An overloaded function or method counts
 * once and is documented when any of its signatures is. */
export function undocumentedExports(file: string, text: string): Undocumented[] {
  return exportsOf(file, text).undocumented;
}

function exportsOf(file: string, text: string): { total: number; undocumented: Undocumented[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const documented = new Set<string>();
  const found = new Map<string, Undocumented>();
  const count = (name: string, node: ts.Node) => {
    if (hasDocComment(node)) {
      documented.add(name);
      found.delete(name);
    } else if (!documented.has(name) && !found.has(name)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      found.set(name, { file, line, name });
    }
  };
  for (const statement of source.statements) {
    for (const name of declaredNames(statement)) count(name, statement);
    if (ts.isClassDeclaration(statement) && isExported(statement)) {
      for (const member of publicMembers(statement)) count(member.name, member.node);
    }
  }
  return { total: new Set([...documented, ...found.keys()]).size, undocumented: [...found.values()] };
}

/** The TypeScript sources under a folder, tests and declaration files left out. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter(
      (e) =>
        e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts"),
    )
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The exported declarations of the project under root, and those of them undocumented, in file order. */
export function checkProject(root: string): { total: number; undocumented: Undocumented[] } {
  const files = ROOTS.flatMap((dir) => sourceFiles(join(root, dir)));
  const each = files.map((path) => exportsOf(relative(root, path), readFileSync(path, "utf8")));
  return { total: each.reduce((n, e) => n + e.total, 0), undocumented: each.flatMap((e) => e.undocumented) };
}

if (import.meta.main) {
  const { total, undocumented } = checkProject(join(import.meta.dirname, ".."));
  for (const m of undocumented) console.log(`${m.file}:${m.line}: ${m.name}`);
  if (undocumented.length > 0) {
    console.error(`${undocumented.length} of ${total} exported declarations have no doc comment`);
    process.exit(1);
  }
}
