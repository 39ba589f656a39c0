/**
 * A directory listing in pages, sorted by name, with memory bounded by the page
 * size rather than by the directory: entries are streamed from the directory
 * and only the `limit` smallest names after the cursor are kept.
 */
import { opendir, lstat } from "node:fs/promises";
import { join } from "node:path";

/** One entry of a listing. */
export interface ListingEntry {
  readonly name: string;
  readonly type: "file" | "directory" | "symlink" | "other";
  readonly size: number;
  /** Modification time, ISO 8601. */
  readonly mtime: string;
}

/** One page of a listing; `next` is the cursor for the page after it, absent on the last. */
export interface ListingPage {
  readonly entries: readonly ListingEntry[];
  readonly next?: string;
}

/** Entries a page holds unless `?limit=` says otherwise, and the most it may ask for. */
export const DEFAULT_LISTING_LIMIT = 1000;
export const MAX_LISTING_LIMIT = 10_000;

/** Reads one page of `dir` (a path the caller has already checked): names after `cursor`, at most `limit`. */
export async function listPage(dir: string, options: { readonly limit: number; readonly cursor?: string | undefined; readonly hidden: boolean }): Promise<ListingPage> {
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const kept: string[] = [];
  let more = false;
  for await (const dirent of await opendir(dir, { bufferSize: 256 })) {
    const name = dirent.name;
    if (!options.hidden && name.startsWith(".")) continue;
    if (after !== undefined && name <= after) continue;
    if (kept.length === options.limit && name > kept[kept.length - 1]!) {
      more = true;
      continue;
    }
    kept.splice(insertionPoint(kept, name), 0, name);
    if (kept.length > options.limit) {
      kept.pop();
      more = true;
    }
  }
  const entries = await Promise.all(kept.map((name) => entryOf(dir, name)));
  const last = kept[kept.length - 1];
  return more && last !== undefined ? { entries, next: encodeCursor(last) } : { entries };
}

/** `?limit=` → a page size within bounds; throws RangeError with the fix for anything else. */
export function parseLimit(raw: string | null): number {
  if (raw === null || raw === "") return DEFAULT_LISTING_LIMIT;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTING_LIMIT) {
    throw new RangeError(`Cannot list: limit=${raw} is not a whole number from 1 to ${MAX_LISTING_LIMIT}`);
  }
  return limit;
}

async function entryOf(dir: string, name: string): Promise<ListingEntry> {
  try {
    const info = await lstat(join(dir, name));
    const type = info.isFile() ? "file" : info.isDirectory() ? "directory" : info.isSymbolicLink() ? "symlink" : "other";
    return { name, type, size: info.isFile() ? info.size : 0, mtime: new Date(info.mtimeMs).toISOString() };
  } catch {
    return { name, type: "other", size: 0, mtime: new Date(0).toISOString() }; // removed while listing
  }
}

function insertionPoint(sorted: readonly string[], name: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < name) low = mid + 1;
    else high = mid;
  }
  return low;
}

function encodeCursor(name: string): string {
  return Buffer.from(name, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,8192}$/.test(cursor)) throw new RangeError("Cannot list: the cursor is not one this node gave out");
  return Buffer.from(cursor, "base64url").toString("utf8");
}
