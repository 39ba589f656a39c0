/**
 * restpipe.d.ts, the handler API that `handler init` writes, generated from
 * the source at build time (so it follows src/dispatch as it changes): the
 * declarations of src/dispatch's public files and of the hooks' info types
 * (src/node/hooks.ts), keeping only types (interfaces, type aliases, unique
 * symbols): a handler module imports types, never values, from it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** The files the handler API comes from, relative to the repository root. */
export function handlerApiSources(root: string): string[] {
  const dispatch = readdirSync(join(root, "src/dispatch"))
    .filter((name) => name.endsWith(".ts") && !name.startsWith("_") && name !== "index.ts")
    .sort()
    .map((name) => `src/dispatch/${name}`);
  return [...dispatch, "src/node/hooks.ts"];
}

function isTypeLevel(statement: ts.Statement): boolean {
  if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) return true;
  // `declare const REPLY_BRAND: unique symbol`: Reply's key, a type-level name.
  return ts.isVariableStatement(statement) && statement.declarationList.declarations.every((d) => d.type?.kind === ts.SyntaxKind.TypeOperator);
}

function declaredName(statement: ts.Statement): string | undefined {
  if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isFunctionDeclaration(statement)) return statement.name?.text;
  if (ts.isVariableStatement(statement)) {
    const name = statement.declarationList.declarations[0]?.name;
    return name !== undefined && ts.isIdentifier(name) ? name.text : undefined;
  }
  return undefined;
}

function identifiersIn(node: ts.Node, found: Set<string> = new Set()): Set<string> {
  if (ts.isIdentifier(node)) found.add(node.text);
  node.forEachChild((child) => void identifiersIn(child, found));
  return found;
}

interface Candidate {
  readonly path: string;
  readonly name: string;
  readonly text: string;
  readonly uses: ReadonlySet<string>;
  readonly typeLevel: boolean;
}

/** The text of restpipe.d.ts for the tree at \`root\`. */
export function handlerApiDts(root: string, version: string): string {
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const candidates: Candidate[] = [];
  const imported = new Set<string>();
  for (const path of handlerApiSources(root)) {
    const { outputText } = ts.transpileDeclaration(readFileSync(join(root, path), "utf8"), { fileName: path, reportDiagnostics: false });
    const file = ts.createSourceFile(path, outputText, ts.ScriptTarget.ES2022, true);
    for (const statement of file.statements) {
      if (ts.isImportDeclaration(statement)) for (const name of identifiersIn(statement.importClause ?? statement)) imported.add(name);
      const name = declaredName(statement);
      if (name === undefined) continue;
      const text = printer.printNode(ts.EmitHint.Unspecified, statement, file);
      candidates.push({ path, name, text, uses: identifiersIn(statement), typeLevel: isTypeLevel(statement) });
    }
  }
  // Keep the type-level declarations (and the functions they name with `typeof`) whose every name resolves:
  // one that needs a type from outside the handler API (the wire's Event, the logger) is left out.
  let kept = candidates.filter((c) => c.typeLevel || candidates.some((o) => o.typeLevel && o.text.includes(`typeof ${c.name}`)));
  for (;;) {
    const declared = new Set(kept.map((c) => c.name));
    const next = kept.filter((c) => [...c.uses].every((name) => declared.has(name) || !imported.has(name)));
    if (next.length === kept.length) break;
    kept = next;
  }
  const byFile = new Map<string, string[]>();
  for (const c of kept) byFile.set(c.path, [...(byFile.get(c.path) ?? []), c.text]);
  const parts = [...byFile].map(([path, texts]) => `// from ${path}\n${texts.join("\n")}`);
  return `/**
 * The RestPipe ${version} handler API, generated from its source. Types only:
 * \`import type { HandlerContext, RequestBody } from "./restpipe"\`; at run
 * time a handler gets its helpers as arguments (\`ctx.reply(mimetype, code, data)\`).
 */
${parts.join("\n\n")}

/** A handler module: \`<verb>_<noun>\` functions (verb: get, post, put, patch, delete) and optional hooks. */
export type HandlerModule = { readonly [name: string]: Handler | unknown } & Partial<Hooks>;
`;
}
