/**
 * The import graph of src/ checked against the module map: pure functions
 * over file texts, so the layering test can also feed them made-up trees and
 * see each rule fail.
 */
import { posix } from "node:path";
import type { ModuleEntry } from "./module-map.ts";

/** Packages a runtime-neutral module may not use: runtimes, node: built-ins, the HTTP and X.509 libraries. */
const NOT_NEUTRAL = /^(bun$|node:|elysia$|pkijs$|asn1js$)/;

/** Where the map lives, for the messages. */
const MAP_FILE = "test/unit/structure/module-map.ts";

/** A source file: its path under src/ ("pipe/pipe.ts") and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** Import and export-from specifiers, static and dynamic. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

/** The package a bare specifier names: "node:fs/promises" → "node:fs", "@a/b/c" → "@a/b", "a/b" → "a". */
export function packageOf(specifier: string): string {
  if (specifier.startsWith("node:")) return specifier.split("/")[0]!;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The module (first folder under src/) of a path under src/; "" for a file at src/'s top. */
export function moduleOf(path: string): string {
  return path.includes("/") ? path.split("/")[0]! : "";
}

/** What the files of one module use, each with the first file that does. */
export interface ModuleUse {
  readonly imports: Map<string, string>;
  readonly packages: Map<string, string>;
  readonly runtimeApis: string[];
}

/** One cross-module import: the file, its specifier, and the path it resolves to under src/. */
export interface CrossImport {
  readonly file: string;
  readonly specifier: string;
  readonly target: string;
}

/** Scans the files: per module, what it imports and uses; and every import that crosses a module boundary. */
export function scan(files: readonly SourceFile[]): { uses: Map<string, ModuleUse>; crossing: CrossImport[] } {
  const uses = new Map<string, ModuleUse>();
  const crossing: CrossImport[] = [];
  for (const { path, text } of files) {
    const module = moduleOf(path);
    const use: ModuleUse = uses.get(module) ?? { imports: new Map(), packages: new Map(), runtimeApis: [] };
    uses.set(module, use);
    if (/\b(Bun|Deno)\.\w+/.test(text)) use.runtimeApis.push(path);
    for (const specifier of specifiersOf(text)) {
      if (!specifier.startsWith(".")) {
        const name = packageOf(specifier);
        if (!use.packages.has(name)) use.packages.set(name, path);
        continue;
      }
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      const to = moduleOf(target);
      if (to === module) continue;
      if (!use.imports.has(to)) use.imports.set(to, path);
      crossing.push({ file: path, specifier, target });
    }
  }
  return { uses, crossing };
}

/** A cycle in `graph` as a path that ends where it starts ([a, b, a]), or undefined. */
export function findCycle(graph: ReadonlyMap<string, Iterable<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const list = (names: Iterable<string>) => [...names].sort().map((name) => JSON.stringify(name)).join(", ");

/** The map entry that describes what `use` does, as a line to paste into the map. */
export function entryFor(module: string, use: ModuleUse | undefined): string {
  const imports = list(use?.imports.keys() ?? []);
  const packages = list(use?.packages.keys() ?? []);
  return `${module}: { role: "<what it is for, one line>", imports: [${imports}], packages: [${packages}] },`;
}

/** Everything in the tree that the map does not say, one message each, naming the fix. */
export function problems(
  map: Readonly<Record<string, ModuleEntry>>,
  folders: readonly string[],
  files: readonly SourceFile[],
): string[] {
  const found: string[] = [];
  const { uses, crossing } = scan(files);
  const names = Object.keys(map);
  const hasIndex = new Set(files.filter((f) => /^[^/]+\/index\.ts$/.test(f.path)).map((f) => moduleOf(f.path)));

  for (const folder of folders) {
    if (map[folder] !== undefined) continue;
    const use = uses.get(folder);
    const lowest = Math.max(-1, ...[...(use?.imports.keys() ?? [])].map((m) => names.indexOf(m)));
    const place = lowest < 0 ? "at the top" : `below the ${names[lowest]} entry`;
    found.push(`src/${folder}/ is not in the module map: add this entry to MODULES in ${MAP_FILE}, ${place}:\n  ${entryFor(folder, use)}`);
  }
  for (const name of names) {
    if (!folders.includes(name)) found.push(`MODULES.${name} (${MAP_FILE}) names no folder of src/: rename the entry as the folder was renamed, or remove it`);
  }
  if (uses.has("")) found.push(`${[...files.filter((f) => moduleOf(f.path) === "").map((f) => `src/${f.path}`)].join(", ")}: every file of src/ belongs in a module folder`);

  const mapGraph = new Map(names.map((name) => [name, map[name]!.imports]));
  const mapCycle = findCycle(mapGraph);
  if (mapCycle) found.push(`the module map has a cycle ${mapCycle.join(" → ")}: move what the lower module needs down (into it or a module both import)`);
  names.forEach((name, at) => {
    for (const target of map[name]!.imports) {
      if (map[target] === undefined) found.push(`MODULES.${name}.imports lists "${target}", which is not a module: remove it (or add its entry)`);
      else if (!mapCycle && names.indexOf(target) > at) found.push(`MODULES.${name} imports "${target}", listed below it: move the ${name} entry below ${target} (the map is bottom-up)`);
    }
  });

  for (const [module, use] of uses) {
    const entry = map[module];
    if (entry === undefined || module === "") continue;
    for (const [target, file] of use.imports) {
      if (entry.imports.includes(target)) continue;
      const cycle = findCycle(new Map([...mapGraph, [module, [...entry.imports, target]]]));
      found.push(
        cycle
          ? `src/${file} imports ${target}/, which would make the cycle ${cycle.join(" → ")}: move what it needs down instead (into ${module}/, or a module below both)`
          : `src/${file} imports ${target}/: add "${target}" to MODULES.${module}.imports in ${MAP_FILE}`,
      );
    }
    for (const target of entry.imports) {
      if (!use.imports.has(target)) found.push(`MODULES.${module}.imports lists "${target}", which no file of src/${module}/ imports: remove it from ${MAP_FILE}`);
    }
    for (const [name, file] of use.packages) {
      if (!entry.packages.includes(name)) found.push(`src/${file} imports the package ${name}: add "${name}" to MODULES.${module}.packages in ${MAP_FILE} (runtime, HTTP and X.509 libraries belong in their own modules)`);
    }
    for (const name of entry.packages) {
      if (!use.packages.has(name)) found.push(`MODULES.${module}.packages lists "${name}", which no file of src/${module}/ imports: remove it from ${MAP_FILE}`);
    }
    if (entry.neutral) {
      for (const name of entry.packages.filter((p) => NOT_NEUTRAL.test(p))) {
        found.push(`MODULES.${module} is runtime-neutral and lists "${name}": move the code that needs it to runtime/, platform/ or pki/`);
      }
    }
    if (!entry.runtimeApis) for (const file of use.runtimeApis) found.push(`src/${file} calls Bun.* or Deno.*: only the runtime adapters (src/runtime/) may; add what it needs to the Runtime contract`);
  }

  for (const name of names) {
    if (folders.includes(name) && map[name]!.door !== "none" && !hasIndex.has(name)) found.push(`src/${name}/ has no index.ts: add one, its public door (or mark MODULES.${name} door: "none" if nothing imports it)`);
  }
  for (const { file, specifier, target } of crossing) {
    const to = moduleOf(target);
    if (map[to]?.door === "none") found.push(`src/${file} imports ${specifier}: nothing may import the entry points of ${to}/; move what is shared into a module below`);
    else if (target !== `${to}/index.ts`) found.push(`src/${file} imports ${specifier}, past the door of ${to}/: import from src/${to}/index.ts (export what is needed there)`);
  }
  return found;
}
