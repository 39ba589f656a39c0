/**
 * `npm run release`: the multi-call binary `restpipe` (src/cli/restpipe.ts:
 * both programs in one file) for every target, its `.xz`, and SHA256SUMS,
 * into dist/release/. Cross-compiling fetches each target's Bun runtime from
 * the npm registry once (then Bun's cache, ~/.bun/install/cache).
 *
 *   bun build/release.ts                                  every target, .xz, SHA256SUMS
 *   bun build/release.ts --targets=linux-x64-baseline,linux-x64-musl --no-xz --out=DIR
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { VERSION } from "../src/cli/version.ts";
import { COMPILE_FLAGS } from "./compile.ts";
import { buildDefines } from "./_stamp.ts";

const root = resolve(import.meta.dir, "..");

/** The release targets (`bun build --target=bun-<name>`). */
export const RELEASE_TARGETS = [
  "linux-x64-modern",
  "linux-x64-baseline",
  "linux-x64-musl",
  "linux-arm64",
  "linux-arm64-musl",
  "darwin-arm64",
  "darwin-x64",
  "windows-x64",
] as const;

/** One release target's name. */
export type ReleaseTarget = (typeof RELEASE_TARGETS)[number];

/** The entry point of the release binary. */
export const RELEASE_ENTRY = "src/cli/restpipe.ts";

/** The file name of a target's binary, e.g. restpipe-0.3.0-linux-x64-baseline (Windows: .exe). */
export function releaseName(target: ReleaseTarget): string {
  return `restpipe-${VERSION}-${target}${target.startsWith("windows") ? ".exe" : ""}`;
}

/** The `bun build` arguments of one target's binary, written to `outDir`. */
export function releaseArgs(target: ReleaseTarget, outDir: string): string[] {
  const bunTarget = `bun-${target}`;
  const stamp = buildDefines(root, bunTarget);
  return ["build", ...COMPILE_FLAGS, ...stamp, `--target=${bunTarget}`, RELEASE_ENTRY, "--outfile", join(outDir, releaseName(target))];
}

/** The hex SHA-256 of a file, streamed (the binaries are ~100 MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The text of a SHA256SUMS file (`sha256sum -c` reads it): one `<hex>  <name>` line per file, sorted by name. */
export async function sha256Sums(paths: readonly string[]): Promise<string> {
  const lines = await Promise.all(paths.map(async (path) => `${await sha256File(path)}  ${basename(path)}`));
  return `${lines.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join("\n")}\n`;
}

/** Builds one target into `outDir`; returns the binary's path. */
export function buildTarget(target: ReleaseTarget, outDir: string): string {
  const args = releaseArgs(target, outDir);
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`Cannot build the ${target} release: bun build exited ${result.status}\n${result.stdout}${result.stderr}`);
  return args[args.length - 1]!;
}

/** Compresses `path` to `path.xz` (kept beside it; xz's multi-threaded mode, whose output does not depend on the core count). */
export function xzFile(path: string): string {
  rmSync(`${path}.xz`, { force: true });
  const result = spawnSync("xz", ["-k", "-6", "-T0", path], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`Cannot compress ${path}: xz exited ${result.status}: ${result.stderr}; install xz-utils`);
  return `${path}.xz`;
}

/** Builds `targets` into `outDir` (with .xz unless `xz` is false) and writes SHA256SUMS; returns every file written. */
export async function release(targets: readonly ReleaseTarget[], outDir: string, options: { xz?: boolean; log?: (line: string) => void } = {}): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const target of targets) {
    const started = Date.now();
    const binary = buildTarget(target, outDir);
    files.push(binary);
    options.log?.(`${binary}  ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB  (${Date.now() - started} ms)`);
    if (options.xz !== false) {
      const packed = xzFile(binary);
      files.push(packed);
      options.log?.(`${packed}  ${(statSync(packed).size / 1024 / 1024).toFixed(1)} MiB`);
    }
  }
  const sums = join(outDir, "SHA256SUMS");
  writeFileSync(sums, await sha256Sums(files));
  options.log?.(`${sums}  (check with: sha256sum -c --ignore-missing SHA256SUMS)`);
  return [...files, sums];
}

/** Parses `--targets=a,b`: each must be a release target. */
export function parseTargets(text: string | undefined): ReleaseTarget[] {
  if (text === undefined) return [...RELEASE_TARGETS];
  return text.split(",").map((name) => {
    if (!(RELEASE_TARGETS as readonly string[]).includes(name)) {
      throw new Error(`Cannot build target "${name}": not a release target; use one of ${RELEASE_TARGETS.join(", ")}`);
    }
    return name as ReleaseTarget;
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { targets: { type: "string" }, "no-xz": { type: "boolean" }, out: { type: "string" } }, strict: true });
  const outDir = resolve(root, values.out ?? "dist/release");
  await release(parseTargets(values.targets), outDir, { xz: values["no-xz"] !== true, log: (line) => console.log(line) });
}
