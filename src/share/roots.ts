/**
 * The configured share directories, checked once at start: each must exist,
 * be a directory, and not be writable by everyone (anyone on the host could
 * then put files, or links, into what peers are served).
 */
import { stat } from "node:fs/promises";
import { realRoot } from "./_resolve.ts";
import type { ResolvedShare } from "./serve.ts";

/** A share as configured (see config/'s ShareConfig). */
export interface ShareRoot {
  readonly name: string;
  readonly root: string;
  /** Takes PUT and DELETE. */
  readonly writable?: boolean;
}

/**
 * Resolves every share's root to its real path; throws with the cause and the
 * fix (`setting` names where shares are configured, e.g. "RP_CLIENT_SHARES (--share)").
 */
export async function openShares(shares: readonly ShareRoot[], hidden: boolean, setting: string): Promise<ReadonlyMap<string, ResolvedShare>> {
  const resolved = new Map<string, ResolvedShare>();
  for (const share of shares) {
    const spec = `${share.name}=${share.root}`;
    let real: string;
    try {
      real = await realRoot(share.root);
    } catch (error) {
      const reason = (error as Error).message.replace(/^Cannot share [^:]*: /, "");
      throw new Error(`Cannot share ${spec}: ${reason}; create it, or set ${setting} to an existing directory`, { cause: error });
    }
    const mode = (await stat(real)).mode;
    if ((mode & 0o002) !== 0) {
      throw new Error(
        `Cannot share ${spec}: the directory is writable by everyone (mode ${(mode & 0o7777).toString(8).padStart(4, "0")}); run chmod o-w ${share.root}, or set ${setting} to another directory`,
      );
    }
    resolved.set(share.name, { name: share.name, realRoot: real, hidden, writable: share.writable ?? false });
  }
  return resolved;
}
