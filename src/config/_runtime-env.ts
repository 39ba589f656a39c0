/**
 * Environment variables that change what the Bun runtime does before any of
 * RestPipe's code runs: refused, so that a host's stray setting is seen
 * rather than silently obeyed. (BUN_BE_BUN=1 turns the binary into the bun
 * CLI before this code runs at all: it can only be documented.)
 */

/** Problems with runtime-level variables in `env`, in the style of the other configuration problems. */
export function runtimeEnvProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const options = env["BUN_OPTIONS"];
  if (options === undefined || options.trim() === "") return [];
  return [
    `BUN_OPTIONS=${JSON.stringify(options)}: Cannot run with BUN_OPTIONS set: Bun applies it before RestPipe starts (--preload runs code from a file); unset BUN_OPTIONS`,
  ];
}
