/**
 * The import rules of DESIGN.md, enforced: the runtime-neutral core never
 * touches Bun, node:, Elysia or pkijs, and modules depend on each other one way.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../../src");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Import and export-from specifiers, static and dynamic. */
export function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

const NEUTRAL = ["wire", "pipe", "dispatch", "config", "log", "metrics", "labels", "fanout"];
const FORBIDDEN = [/^bun(:|$)/, /^node:/, /^elysia/, /^pkijs/, /^asn1js/];
/** Which src modules each module may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  wire: [],
  log: [],
  pipe: ["wire", "log"],
  dispatch: ["wire"],
  config: [],
  metrics: ["pipe", "dispatch", "wire"],
  labels: [],
  fanout: ["pipe", "wire", "labels"],
};

function moduleOf(path: string): string {
  return relative(SRC, path).split("/")[0]!;
}

describe("layering", () => {
  test("the scanner sees imports (self-check)", () => {
    expect(specifiersOf('import { a } from "bun";\nexport * from "./x.ts";\nimport "node:fs";\nawait import("pkijs");')).toEqual([
      "bun",
      "./x.ts",
      "node:fs",
      "pkijs",
    ]);
  });

  test("only src/runtime touches Bun or Deno APIs (the adapter is chosen there too)", () => {
    const outside = filesUnder(SRC).filter((file) => moduleOf(file) !== "runtime");
    const touching = outside.filter((file) => {
      const source = readFileSync(file, "utf8");
      return /\b(Bun|Deno)\.\w+/.test(source) || specifiersOf(source).some((s) => /^bun(:|$)/.test(s) || /\/runtime\/(bun|deno)\//.test(s));
    });
    expect(outside.length).toBeGreaterThan(50);
    expect(touching.map((file) => relative(SRC, file))).toEqual([]);
  });

  for (const module of NEUTRAL) {
    const files = (() => {
      try {
        return filesUnder(join(SRC, module));
      } catch {
        return [];
      }
    })();
    for (const file of files) {
      const name = relative(SRC, file);
      test(`${name} imports no runtime, HTTP or X.509 library`, () => {
        const source = readFileSync(file, "utf8");
        expect(specifiersOf(source).filter((s) => FORBIDDEN.some((re) => re.test(s)))).toEqual([]);
        expect(source.match(/\b(Bun|Deno)\.\w+/g) ?? []).toEqual([]);
      });
      test(`${name} depends only on ${ALLOWED[module]!.join(", ") || "itself"}`, () => {
        const targets = specifiersOf(readFileSync(file, "utf8"))
          .filter((s) => s.startsWith("."))
          .map((s) => moduleOf(resolve(file, "..", s)))
          .filter((m) => m !== module);
        expect(targets.filter((m) => !ALLOWED[module]!.includes(m))).toEqual([]);
      });
    }
  }
});
