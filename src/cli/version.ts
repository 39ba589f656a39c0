/**
 * The release version and the build's stamp (commit, date, target), for
 * `--version`. Kept apart so `--version` imports nothing else. The stamp is
 * put in by build/ (`bun build --define`); run from source it says so.
 */

/** The release version; a test keeps it equal to package.json's. */
export const VERSION = "0.3.0";

// Replaced by `bun build --define` (build/_stamp.ts); undefined when run from source.
declare const RESTPIPE_BUILD_COMMIT: string | undefined;
declare const RESTPIPE_BUILD_DATE: string | undefined;
declare const RESTPIPE_BUILD_TARGET: string | undefined;

/** What `--version` reports about this build. */
export interface BuildInfo {
  readonly version: string;
  /** Git commit the binary was built from (`+dirty` when the tree had changes), or "source". */
  readonly commit: string;
  /** ISO date of the commit (or SOURCE_DATE_EPOCH), never the clock: builds are reproducible. */
  readonly date: string;
  /** The `bun build --target` (e.g. bun-linux-x64-baseline), or "source". */
  readonly target: string;
  /** The runtime running this process, e.g. "Bun 1.4.4". */
  readonly runtime: string;
}

/** The stamp of this build (from source: "source" for commit, date and target). */
export function buildInfo(): BuildInfo {
  const versions = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process?.versions ?? {};
  const runtime = versions["bun"] !== undefined ? `Bun ${versions["bun"]}` : versions["deno"] !== undefined ? `Deno ${versions["deno"]}` : "unknown";
  return {
    version: VERSION,
    commit: typeof RESTPIPE_BUILD_COMMIT === "string" ? RESTPIPE_BUILD_COMMIT : "source",
    date: typeof RESTPIPE_BUILD_DATE === "string" ? RESTPIPE_BUILD_DATE : "source",
    target: typeof RESTPIPE_BUILD_TARGET === "string" ? RESTPIPE_BUILD_TARGET : "source",
    runtime,
  };
}

/** The `--version` text: the program and version on the first line, then the stamp. */
export function versionText(program: string, info: BuildInfo = buildInfo()): string {
  return [
    `${program} ${info.version}`,
    `commit  ${info.commit}`,
    `built   ${info.date}`,
    `target  ${info.target}`,
    `runtime ${info.runtime}`,
  ].join("\n");
}

/** Whether argv asks only for the version: `--version`, `-V`, `-v` or `version`. */
export function asksVersion(argv: readonly string[]): boolean {
  return argv.length === 1 && ["--version", "-V", "-v", "version"].includes(argv[0]!);
}
