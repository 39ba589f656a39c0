/**
 * The project's source under Deno, started exactly as `deno task rp-server`
 * and `deno task rp-client` start it: the command line is read from
 * deno.json, so the tasks and the tests cannot drift apart.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Launcher } from "./processes.ts";

/** The repository root, where deno.json is (Deno finds it from the working directory). */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The Deno that `npm ci` installs. */
export const DENO = resolve(ROOT, "node_modules/.bin/deno");

/** The words of a deno.json task (tasks here are plain words: no quotes, variables or operators), leading NAME=value ones included. */
export function denoTask(name: string): string[] {
  const config = JSON.parse(readFileSync(resolve(ROOT, "deno.json"), "utf8")) as { tasks?: Record<string, string> };
  const line = config.tasks?.[name];
  if (line === undefined) throw new Error(`Cannot find the task "${name}" in deno.json`);
  if (/["'$|&;<>*]/.test(line)) throw new Error(`Cannot split the task "${name}": it uses shell syntax (${line})`);
  return line.trim().split(/\s+/);
}

/** rp-server or rp-client from source under Deno, via its deno.json task (its NAME=value prefix becomes environment). */
export function denoLauncher(program: "rp-server" | "rp-client"): Launcher {
  const words = denoTask(program);
  const env: Record<string, string> = { NO_COLOR: "1" };
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "")) {
    const [name, ...value] = words.shift()!.split("=");
    env[name!] = value.join("=");
  }
  const [command, ...rest] = words;
  return { argv: [resolve(ROOT, command!), ...rest], cwd: ROOT, env };
}
