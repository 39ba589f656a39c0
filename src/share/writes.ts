/**
 * PUT and DELETE in a writable share. A PUT streams the body into a new
 * temporary file beside the target (created exclusively, never through a
 * link), within a size limit, syncs it and renames it over the target: a
 * reader sees the old file or the new one, never half of one. Both work
 * relative to the parent directory as opened and checked (on Linux through
 * its descriptor), so a parent swapped for a link after the check is not
 * followed. Directories are never replaced or removed.
 */
import { constants } from "node:fs";
import { lstat, open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { openInside } from "./_resolve.ts";
import { ShareRefusal } from "./errors.ts";
import type { ResolvedShare } from "./serve.ts";

/** What a PUT did. */
export interface Stored {
  /** True when no file of that name existed before. */
  readonly created: boolean;
  readonly bytes: number;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Where a file of `segments` lives: its opened parent directory and its name. */
async function parentOf(share: ResolvedShare, segments: readonly string[], shown: string, verb: string) {
  const name = segments[segments.length - 1];
  if (name === undefined) throw new ShareRefusal("bad-path", `Cannot ${verb} ${shown}: name a file below the share (files//${share.name}/<path>)`);
  const parent = await openInside(share.realRoot, segments.slice(0, -1), [share.name, ...segments.slice(0, -1)].join("/"), share.hidden);
  if (parent.kind !== "directory") {
    await parent.handle.close();
    throw new ShareRefusal("conflict", `Cannot ${verb} ${shown}: its parent is a file, not a directory`);
  }
  return { parent, name };
}

async function existing(path: string): Promise<"none" | "directory" | "file"> {
  try {
    return (await lstat(path)).isDirectory() ? "directory" : "file";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "none";
    throw error;
  }
}

/**
 * Stores `body` as `segments` in `share`; throws ShareRefusal: 409 over a
 * directory, 413 past `maxBytes` (`setting` names the limit), 404 when the
 * parent directory does not exist.
 */
export async function storeFile(
  share: ResolvedShare,
  segments: readonly string[],
  shown: string,
  body: ReadableStream<Uint8Array>,
  declared: number | undefined,
  maxBytes: number,
  setting: string,
): Promise<Stored> {
  const tooLarge = () => new ShareRefusal("too-large", `Cannot store ${shown}: the body is over the limit of ${maxBytes} bytes; set ${setting} to allow more`);
  if (declared !== undefined && declared > maxBytes) {
    await body.cancel("too large").catch(() => {});
    throw tooLarge();
  }
  const { parent, name } = await parentOf(share, segments, shown, "store");
  const temp = join(parent.listPath, `.rp-upload-${crypto.randomUUID()}`);
  const target = join(parent.listPath, name);
  let kept = false;
  try {
    const before = await existing(target);
    if (before === "directory") throw new ShareRefusal("conflict", `Cannot store ${shown}: it is a directory; only files are written`);
    const file = await open(temp, CREATE_FLAGS, 0o644);
    let bytes = 0;
    try {
      const reader = body.getReader();
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        bytes += next.value.length;
        if (bytes > maxBytes) {
          await reader.cancel("too large").catch(() => {});
          throw tooLarge();
        }
        await file.write(next.value);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    kept = true;
    return { created: before === "none", bytes };
  } finally {
    if (!kept) await unlink(temp).catch(() => {});
    await parent.handle.close();
  }
}

/** Removes the file `segments` from `share`; a directory is refused (409), a missing file is 404. */
export async function deleteFile(share: ResolvedShare, segments: readonly string[], shown: string): Promise<void> {
  const { parent, name } = await parentOf(share, segments, shown, "delete");
  try {
    const target = join(parent.listPath, name);
    const kind = await existing(target);
    if (kind === "none") throw new ShareRefusal("not-found", `Cannot delete ${shown}: no such file`);
    if (kind === "directory") throw new ShareRefusal("conflict", `Cannot delete ${shown}: it is a directory; only files are deleted`);
    await unlink(target);
  } finally {
    await parent.handle.close();
  }
}
