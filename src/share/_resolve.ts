/**
 * Opens a path inside a share so that it cannot leave the share's root: the
 * path is resolved (symbolic links followed), must lie under the root's real
 * path, is opened without following a last link and without blocking (a FIFO
 * would hang an open for reading), and on Linux the opened descriptor's own
 * path is read back from /proc, so a component swapped for a link between the
 * check and the open is caught too.
 */
import { constants } from "node:fs";
import { open, readlink, realpath, stat, type FileHandle } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ShareRefusal } from "./errors.ts";
import type { FileStamp } from "./_conditional.ts";

/** A file or directory opened inside a share. Close `handle` when done. */
export interface OpenedEntry {
  readonly handle: FileHandle;
  readonly kind: "file" | "directory";
  readonly stamp: FileStamp;
  /** The resolved path, inside the root. */
  readonly realPath: string;
  /** Where to read a directory from: the descriptor itself on Linux (no second path lookup), else the real path. */
  readonly listPath: string;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The real path of a share root, checked once at start-up. */
export async function realRoot(root: string): Promise<string> {
  const real = await realpath(root).catch((cause: NodeJS.ErrnoException) => {
    throw new Error(`Cannot share ${root}: ${cause.code === "ENOENT" ? "no such directory" : cause.message}`, { cause });
  });
  const info = await stat(real);
  if (!info.isDirectory()) throw new Error(`Cannot share ${root}: not a directory`);
  return real;
}

/** Opens `segments` below `root` (a real path); refuses anything that is not a regular file or a directory inside it. */
export async function openInside(root: string, segments: readonly string[], shown: string, hidden: boolean): Promise<OpenedEntry> {
  const real = await resolveInside(root, segments, shown, hidden);
  let handle: FileHandle;
  try {
    handle = await open(real, OPEN_FLAGS);
  } catch (cause) {
    throw refusalFor(cause, shown);
  }
  try {
    const viaProc = await checkDescriptor(handle, root, shown);
    const info = await handle.stat();
    if (!info.isFile() && !info.isDirectory()) {
      throw new ShareRefusal("not-a-file", `Cannot serve ${shown}: not a regular file or directory (a device, socket or FIFO)`);
    }
    return {
      handle,
      kind: info.isFile() ? "file" : "directory",
      stamp: { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino },
      realPath: real,
      listPath: viaProc ? `/proc/self/fd/${handle.fd}` : real,
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function resolveInside(root: string, segments: readonly string[], shown: string, hidden: boolean): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch (cause) {
    throw refusalFor(cause, shown);
  }
  if (!isInside(root, real)) {
    throw new ShareRefusal("forbidden", `Cannot serve ${shown}: a symbolic link leads out of the share`);
  }
  if (!hidden && relative(root, real).split(sep).some((part) => part.startsWith("."))) {
    throw new ShareRefusal("forbidden", `Cannot serve ${shown}: it leads to a hidden file; start the node with --share-hidden`);
  }
  return real;
}

/** On Linux, where the descriptor really points: a link swapped in after the check is caught here. */
async function checkDescriptor(handle: FileHandle, root: string, shown: string): Promise<boolean> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return false; // no /proc (macOS): the realpath check above is what holds
  }
  if (!isInside(root, actual)) {
    throw new ShareRefusal("forbidden", `Cannot serve ${shown}: the path changed to lead out of the share while it was opened`);
  }
  return true;
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function refusalFor(cause: unknown, shown: string): ShareRefusal {
  const code = (cause as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new ShareRefusal("not-found", `Cannot serve ${shown}: no such file`, { cause });
    case "ELOOP":
      return new ShareRefusal("forbidden", `Cannot serve ${shown}: a symbolic link loop, or a link where a file was expected`, { cause });
    case "ENXIO": // a unix socket
    case "ENODEV":
      return new ShareRefusal("not-a-file", `Cannot serve ${shown}: not a regular file or directory (a device, socket or FIFO)`, { cause });
    case "EACCES":
    case "EPERM":
      return new ShareRefusal("forbidden", `Cannot serve ${shown}: permission denied to this node's user`, { cause });
    default:
      return new ShareRefusal("not-found", `Cannot serve ${shown}: ${(cause as Error).message}`, { cause });
  }
}
