/**
 * The build stamp `--version` shows (src/cli/version.ts), as `bun build
 * --define` arguments. The date is the commit's (or SOURCE_DATE_EPOCH's),
 * never the clock, so that two builds of one commit are byte-identical.
 * The handler API (restpipe.d.ts, build/_handler-api.ts) goes in the same way.
 */
import { spawnSync } from "node:child_process";
import { VERSION } from "../src/cli/version.ts";
import { handlerApiDts } from "./_handler-api.ts";

/** Commit, date and target of a build. */
export interface Stamp {
  readonly commit: string;
  readonly date: string;
  readonly target: string;
}

function git(root: string, args: string[]): string | undefined {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The stamp for a build of the tree at `root` for `target` (`bun-linux-x64` and so on; the host's when not given). */
export function stampOf(root: string, target: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): Stamp {
  const head = git(root, ["rev-parse", "HEAD"]);
  const dirty = head !== undefined && (git(root, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  const epochText = env["SOURCE_DATE_EPOCH"] ?? git(root, ["log", "-1", "--format=%ct"]);
  const epoch = epochText !== undefined && /^\d+$/.test(epochText) ? Number(epochText) : 0;
  return {
    commit: head === undefined ? "unknown" : `${head}${dirty ? "+dirty" : ""}`,
    date: new Date(epoch * 1000).toISOString().replace(".000Z", "Z"),
    target: target ?? `bun-${process.platform}-${process.arch}`,
  };
}

/** The `--define` arguments that put `stamp` into the binary. */
export function defineArgs(stamp: Stamp): string[] {
  return [
    `--define=RESTPIPE_BUILD_COMMIT=${JSON.stringify(stamp.commit)}`,
    `--define=RESTPIPE_BUILD_DATE=${JSON.stringify(stamp.date)}`,
    `--define=RESTPIPE_BUILD_TARGET=${JSON.stringify(stamp.target)}`,
  ];
}

/** Every `--define` of a build of `root` for `target`: the stamp, and restpipe.d.ts for `handler init`. */
export function buildDefines(root: string, target: string | undefined): string[] {
  return [...defineArgs(stampOf(root, target)), `--define=RESTPIPE_HANDLER_API=${JSON.stringify(handlerApiDts(root, VERSION))}`];
}
