/**
 * Regenerates `src/wire/gen/` from `proto/` with buf (from npm, offline) and
 * the local protobuf-ts plugin, then rewrites relative imports to end in
 * `.ts` so that Deno loads the files without sloppy imports.
 *
 *   bun build/gen.ts           write src/wire/gen/
 *   bun build/gen.ts --check   exit 1 and list the files that drifted
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";

const root = resolve(import.meta.dir, "..");
export const GEN_DIR = join(root, "src/wire/gen");
// ts_nocheck: the generated code predates our strict flags (noImplicitOverride, noUncheckedIndexedAccess).
const PLUGIN_OPTIONS = ["force_optimize_speed", "long_type_number", "ts_nocheck"];

/** Adds `.ts` to relative import specifiers that have no extension. */
export function addTsExtensions(source: string): string {
  return source.replace(/(from\s+["'])(\.{1,2}\/[^"']+?)(["'])/g, (whole, open: string, spec: string, close: string) =>
    /\.[cm]?[jt]s$/.test(spec) ? whole : `${open}${spec}.ts${close}`,
  );
}

/** Runs buf + protoc-gen-ts and returns the generated files, post-processed. */
export function generate(): Map<string, string> {
  const out = mkdtempSync(join(tmpdir(), "rp-gen-"));
  try {
    const template = {
      version: "v2",
      plugins: [{ local: join(root, "node_modules/@protobuf-ts/plugin/bin/protoc-gen-ts"), out, opt: PLUGIN_OPTIONS }],
    };
    const buf = spawnSync(join(root, "node_modules/.bin/buf"), ["generate", "proto", "--template", JSON.stringify(template)], {
      cwd: root,
      encoding: "utf8",
    });
    if (buf.status !== 0) throw new Error(`Cannot generate protobuf code: buf exited ${buf.status}: ${buf.stderr}`);
    const files = new Map<string, string>();
    for (const name of readdirSync(out).sort()) files.set(name, addTsExtensions(readFileSync(join(out, name), "utf8")));
    return files;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Names of generated files whose committed copy differs from a fresh generation. */
export function drifted(files: Map<string, string>): string[] {
  const committed = new Set(readdirSync(GEN_DIR));
  const differing = [...files].filter(([name, text]) => {
    committed.delete(name);
    try {
      return readFileSync(join(GEN_DIR, name), "utf8") !== text;
    } catch {
      return true;
    }
  });
  return [...differing.map(([name]) => name), ...committed];
}

if (import.meta.main) {
  const files = generate();
  if (process.argv.includes("--check")) {
    const stale = drifted(files);
    if (stale.length > 0) {
      console.error(`src/wire/gen is out of date with proto/: ${stale.join(", ")}; run \`bun run gen\``);
      process.exit(1);
    }
    console.log("src/wire/gen matches proto/");
  } else {
    rmSync(GEN_DIR, { recursive: true, force: true });
    mkdirSync(GEN_DIR, { recursive: true });
    for (const [name, text] of files) writeFileSync(join(GEN_DIR, name), text);
    console.log(`wrote ${[...files.keys()].map((n) => `src/wire/gen/${n}`).join(", ")}`);
  }
}
