/**
 * What a serving node loads: the modules rp-server and rp-client evaluate at start (their main modules and
 * everything those import statically; `import()` is followed only where the start path takes it) must not reach
 * pkijs or asn1js (~13 MiB of RSS a process, needed only to issue certificates, CSRs and CRLs or read a CRL: see
 * src/pki/issuing.ts), nor prom-client (loaded at the first scrape), nor the generated protobuf code and
 * @protobuf-ts/runtime (the wire codec is hand-written, the generated code is the tests' oracle), nor smol-toml (loaded to read a
 * .toml config file).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { packageOf } from "./_graph.ts";

const ROOT = resolve(import.meta.dir, "../../..");

/** Static imports and re-exports of a source text, type-only ones left out (they are erased). */
function staticSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s)?[^;]*?from\s*["']([^"']+)["']/g)) if (!match[2]) found.push(match[3]!);
  for (const match of source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(match[1]!);
  return found;
}

/** Every package and file reached from `entries` by static imports, each with the chain that reaches it. */
function reach(entries: readonly string[]): Map<string, string[]> {
  const packages = new Map<string, string[]>(); // packages by name, files by their path from the root
  const seen = new Set<string>();
  const walk = (path: string, chain: string[]) => {
    if (seen.has(path)) return;
    seen.add(path);
    packages.set(relative(ROOT, path), chain);
    for (const specifier of staticSpecifiers(readFileSync(path, "utf8"))) {
      if (!specifier.startsWith(".")) {
        const name = packageOf(specifier);
        if (!packages.has(name)) packages.set(name, [...chain, relative(ROOT, path)]);
        continue;
      }
      const next = resolve(dirname(path), specifier);
      if (existsSync(next)) walk(next, [...chain, relative(ROOT, path)]);
    }
  };
  for (const entry of entries) walk(join(ROOT, entry), []);
  return packages;
}

describe("a serving node's start-up modules", () => {
  test("the walker sees static imports and re-exports, not type-only ones or import()", () => {
    expect(staticSpecifiers('import { a } from "x";\nimport type { B } from "y";\nexport type { C } from "z";\nexport * from "./w.ts";\nimport "s";\nawait import("d");')).toEqual([
      "x",
      "./w.ts",
      "s",
    ]);
  });

  for (const main of ["src/cli/server-main.ts", "src/cli/client-main.ts"]) {
    test(`${main} (with src/cli's entry) loads neither pkijs, asn1js, prom-client, @protobuf-ts/runtime, src/wire/gen nor smol-toml`, () => {
      const packages = reach([main, main.replace(/(server|client)-main/, "rp-$1")]);
      expect(packages.has("elysia")).toBe(true); // the walker does reach the packages a node serves with
      expect(packages.has("src/wire/messages.ts")).toBe(true); // and the wire codec's files
      for (const name of ["pkijs", "asn1js", "prom-client", "@protobuf-ts/runtime", "src/wire/gen/restpipe.ts", "smol-toml"]) {
        expect({ name, chain: packages.get(name) }).toEqual({ name, chain: undefined });
      }
    });
  }
});
