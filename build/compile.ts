/**
 * Builds the single-file executables dist/rp-server and dist/rp-client with
 * `bun build --compile` (minified, split, bytecode, ESM: `--version` in single-digit ms).
 *
 *   bun build/compile.ts                       both, for this machine
 *   bun build/compile.ts --target=bun-linux-arm64
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildDefines } from "./_stamp.ts";

const root = resolve(import.meta.dir, "..");

/** The programs and their entry points. */
export const PROGRAMS = { "rp-server": "src/cli/rp-server.ts", "rp-client": "src/cli/rp-client.ts" } as const;

/**
 * Keeps a binary from reading ./bunfig.toml (whose `preload` would run code next to the CA key),
 * ./.env (silently changing settings), tsconfig.json or package.json from its working directory.
 */
export const NO_AUTOLOAD_FLAGS = [
  "--no-compile-autoload-bunfig",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-tsconfig",
  "--no-compile-autoload-package-json",
] as const;

/**
 * The flags of every compiled build, dist/ and dist/release/ alike (build/release.ts uses this list).
 * `--splitting` puts what the entry point imports dynamically (the commands) in chunks of their own inside
 * the binary, loaded only when run: `--version` no longer loads the whole bundle (p50 20 → 6 ms here).
 */
export const COMPILE_FLAGS = ["--compile", "--minify", "--splitting", "--bytecode", "--format=esm", ...NO_AUTOLOAD_FLAGS] as const;

/** Where a program's bytecode order file is kept (written by build/bytecode-order.ts from a run of the binary). */
export function bytecodeOrderPath(program: keyof typeof PROGRAMS): string {
  return join(root, "build", "bytecode-order", `${program}.order`);
}

/**
 * `--bytecode-order`: the bytecode a started, connected, idle node runs is laid out together, so it touches fewer
 * pages of the binary (idle RSS of the pair 95.9 -> 90.4 MiB here). An order file from older code still builds;
 * functions it does not name keep the default layout.
 */
export function bytecodeOrderArgs(program: keyof typeof PROGRAMS): string[] {
  const path = bytecodeOrderPath(program);
  return existsSync(path) ? [`--bytecode-order=${path}`] : [];
}

/** The `bun build` arguments for one program. */
export function compileArgs(program: keyof typeof PROGRAMS, target?: string): string[] {
  const outfile = join("dist", target ? `${program}-${target.replace(/^bun-/, "")}` : program);
  const stamp = buildDefines(root, target);
  const order = bytecodeOrderArgs(program);
  return ["build", ...COMPILE_FLAGS, ...order, ...stamp, ...(target ? [`--target=${target}`] : []), PROGRAMS[program], "--outfile", outfile];
}

/** Compiles both programs; returns their paths and sizes. */
export function compileAll(target?: string): Array<{ path: string; bytes: number }> {
  mkdirSync(join(root, "dist"), { recursive: true });
  return (Object.keys(PROGRAMS) as Array<keyof typeof PROGRAMS>).map((program) => {
    const args = compileArgs(program, target);
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`Cannot compile ${program}: bun build exited ${result.status}\n${result.stdout}${result.stderr}`);
    const path = join(root, args[args.length - 1]!);
    return { path, bytes: statSync(path).size };
  });
}

if (import.meta.main) {
  const target = process.argv.find((arg) => arg.startsWith("--target="))?.slice("--target=".length);
  for (const { path, bytes } of compileAll(target)) console.log(`${path}  ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
}
