/**
 * The module map (module-map.ts) enforced on src/: every folder is in the
 * map and every entry is a folder; each module imports exactly the modules
 * and packages its entry lists, others only through their index.ts; no
 * cycle; only the runtime adapters touch Bun or Deno. ARCHITECTURE.md draws
 * the same map.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { findCycle, packageOf, problems, scan, specifiersOf, type SourceFile } from "./_graph.ts";
import { mapTable, MODULES } from "./module-map.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const SRC = join(ROOT, "src");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const FILES: SourceFile[] = filesUnder(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, "utf8") }));
const FOLDERS = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());

describe("layering: the scanner and the rules (self-checks)", () => {
  test("the scanner sees imports, static, type-only, re-exports and dynamic", () => {
    expect(specifiersOf('import { a } from "bun";\nexport * from "./x.ts";\nimport "node:fs";\nawait import("pkijs");\nimport type {\n  B,\n} from "../b/index.ts";')).toEqual([
      "bun",
      "./x.ts",
      "../b/index.ts",
      "node:fs",
      "pkijs",
    ]);
    expect(["node:fs/promises", "@protobuf-ts/runtime", "elysia/x", "bun"].map(packageOf)).toEqual(["node:fs", "@protobuf-ts/runtime", "elysia", "bun"]);
  });

  test("a cycle is found, with its path", () => {
    expect(findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]]))).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]))).toBeUndefined();
  });

  const map = {
    low: { role: "x", imports: [], packages: [] },
    high: { role: "y", imports: ["low"], packages: ["node:fs"] },
  } as const;
  const good: SourceFile[] = [
    { path: "low/index.ts", text: 'export * from "./_a.ts";' },
    { path: "low/_a.ts", text: "export const a = 1;" },
    { path: "high/index.ts", text: 'import { a } from "../low/index.ts";\nimport { readFileSync } from "node:fs";' },
  ];

  test("a tree that matches the map has no problem", () => {
    expect(problems(map, ["low", "high"], good)).toEqual([]);
  });

  test("an unknown module folder fails, with the entry to add", () => {
    const tree = [...good, { path: "fresh/index.ts", text: 'import "../high/index.ts";\nimport "node:net";' }];
    expect(problems(map, ["low", "high", "fresh"], tree)).toEqual([
      'src/fresh/ is not in the module map: add this entry to MODULES in test/unit/structure/module-map.ts, below the high entry:\n  fresh: { role: "<what it is for, one line>", imports: ["high"], packages: ["node:net"] },',
    ]);
  });

  test("a renamed folder fails: the old entry matches nothing", () => {
    const renamed = good.map((f) => ({ ...f, path: f.path.replace(/^low\//, "bottom/"), text: f.text.replace("../low/", "../bottom/") }));
    const found = problems(map, ["bottom", "high"], renamed);
    expect(found).toContain("MODULES.low (test/unit/structure/module-map.ts) names no folder of src/: rename the entry as the folder was renamed, or remove it");
    expect(found.some((p) => p.startsWith("src/bottom/ is not in the module map"))).toBe(true);
  });

  test("an import that would close a cycle fails, naming the cycle", () => {
    const tree = good.map((f) => (f.path === "low/_a.ts" ? { ...f, text: 'import "../high/index.ts";\nexport const a = 1;' } : f));
    expect(problems(map, ["low", "high"], tree)).toEqual([
      "src/low/_a.ts imports high/, which would make the cycle low → high → low: move what it needs down instead (into low/, or a module below both)",
    ]);
  });

  test("a cycle in the map itself fails", () => {
    const cyclic = { ...map, low: { role: "x", imports: ["high"], packages: [] } };
    expect(problems(cyclic, ["low", "high"], good).some((p) => p.startsWith("the module map has a cycle low → high → low"))).toBe(true);
  });

  test("an import past a module's index.ts fails; an unlisted or unused import or package fails", () => {
    const tree = [
      { path: "low/index.ts", text: 'export * from "./_a.ts";\nimport "pkijs";' },
      { path: "low/_a.ts", text: "export const a = 1;" },
      { path: "high/index.ts", text: 'import { a } from "../low/_a.ts";' },
    ];
    expect(problems(map, ["low", "high"], tree)).toEqual([
      "src/low/index.ts imports the package pkijs: add \"pkijs\" to MODULES.low.packages in test/unit/structure/module-map.ts (runtime, HTTP and X.509 libraries belong in their own modules)",
      'MODULES.high.packages lists "node:fs", which no file of src/high/ imports: remove it from test/unit/structure/module-map.ts',
      "src/high/index.ts imports ../low/_a.ts, past the door of low/: import from src/low/index.ts (export what is needed there)",
    ]);
    expect(problems(map, ["low", "high"], [good[0]!, good[1]!, { path: "high/index.ts", text: 'import "node:fs";' }])).toEqual([
      'MODULES.high.imports lists "low", which no file of src/high/ imports: remove it from test/unit/structure/module-map.ts',
    ]);
  });

  test("a runtime-neutral module may not list a runtime, HTTP or X.509 package", () => {
    const neutralMap = { ...map, low: { role: "x", imports: [], packages: ["node:fs"], neutral: true as const } };
    const tree = good.map((f) => (f.path === "low/_a.ts" ? { ...f, text: 'import "node:fs";\nexport const a = 1;' } : f));
    expect(problems(neutralMap, ["low", "high"], tree)).toEqual(['MODULES.low is runtime-neutral and lists "node:fs": move the code that needs it to runtime/, platform/ or pki/']);
  });

  test("Bun or Deno APIs outside the runtime adapters fail; a module without index.ts fails", () => {
    const tree = [good[1]!, { path: "high/x.ts", text: 'import "../low/index.ts";\nimport "node:fs";\nBun.serve({});' }];
    expect(problems(map, ["low", "high"], tree)).toEqual([
      "src/high/x.ts calls Bun.* or Deno.*: only the runtime adapters (src/runtime/) may; add what it needs to the Runtime contract",
      "src/low/ has no index.ts: add one, its public door (or mark MODULES.low door: \"none\" if nothing imports it)",
      "src/high/ has no index.ts: add one, its public door (or mark MODULES.high door: \"none\" if nothing imports it)",
    ]);
  });
});

describe("layering: src/ follows the module map", () => {
  test("the scan sees the whole tree (it is not matching nothing)", () => {
    expect(FILES.length).toBeGreaterThan(100); // 149 files when the map was written
    expect(FOLDERS.length).toBe(Object.keys(MODULES).length);
    const { uses } = scan(FILES);
    expect([...uses.values()].reduce((sum, use) => sum + use.imports.size, 0)).toBeGreaterThan(40);
  });

  test("every folder of src/ is in the map, and every entry is a folder", () => {
    expect([...FOLDERS].sort()).toEqual(Object.keys(MODULES).sort());
  });

  test("no problem: imports as listed, through index.ts, no cycle, Bun and Deno only in runtime/", () => {
    expect(problems(MODULES, FOLDERS, FILES)).toEqual([]);
  });

  test("no cycle between the modules as they import each other", () => {
    const { uses } = scan(FILES);
    expect(findCycle(new Map([...uses].map(([module, use]) => [module, [...use.imports.keys()]])))).toBeUndefined();
  });

  for (const [name, entry] of Object.entries(MODULES)) {
    test(`src/${name}/ imports ${entry.imports.join(", ") || "no module"} and ${entry.packages.join(", ") || "no package"}`, () => {
      const use = scan(FILES.filter((f) => f.path.startsWith(`${name}/`))).uses.get(name);
      expect([...(use?.imports.keys() ?? [])].sort()).toEqual([...entry.imports].sort());
      expect([...(use?.packages.keys() ?? [])].sort()).toEqual([...entry.packages].sort());
    });
  }

  test("ARCHITECTURE.md draws this map, one line per module", () => {
    const doc = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
    const block = /<!-- module-map:start -->\n([\s\S]*?)\n<!-- module-map:end -->/.exec(doc)?.[1];
    const expected = mapTable().join("\n");
    expect(block, `ARCHITECTURE.md is not the map: run bun test/unit/structure/module-map.ts to redraw it as\n${expected}`).toBe(expected);
  });
});
