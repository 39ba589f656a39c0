/**
 * Answers a GET or HEAD on a share: a file (whole, or one byte range), 304 when
 * the caller's copy is current, or a directory listing page. What it returns
 * names the bytes to send; the caller streams them and closes the handle.
 */
import type { FileHandle } from "node:fs/promises";
import { etagOf, lastModifiedOf, notModified, rangeStillValid } from "./_conditional.ts";
import { listPage, parseLimit, type ListingCache, type ListingPage } from "./_listing.ts";
import { mimetypeFor } from "./_mime.ts";
import { parseSharePath, refuseHidden } from "./_path.ts";
import { contentRange, parseRange } from "./_range.ts";
import { openInside } from "./_resolve.ts";
import { ShareRefusal } from "./errors.ts";

/** A share with its root's real path (see `realRoot`). */
export interface ResolvedShare {
  readonly name: string;
  readonly realRoot: string;
  readonly hidden: boolean;
  /** Takes PUT and DELETE (--share-writable). */
  readonly writable?: boolean;
}

/** The request headers a share looks at (lower-case names). */
export interface ShareRequestHeaders {
  readonly range?: string | undefined;
  readonly "if-range"?: string | undefined;
  readonly "if-none-match"?: string | undefined;
  readonly "if-modified-since"?: string | undefined;
}

/** What to answer. `file` is set for 200/206: send bytes start..end (inclusive) of `handle`, then close it. */
export interface ShareAnswer {
  readonly status: 200 | 206 | 304;
  readonly mimetype: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly file?: { readonly handle: FileHandle; readonly start: number; readonly end: number };
  readonly listing?: ListingPage;
}

/** Answers `files//<share>/<path>`; throws ShareRefusal (400/403/404/416) before opening anything it may not. */
export async function answerRead(
  shares: ReadonlyMap<string, ResolvedShare>,
  args: readonly string[],
  headers: ShareRequestHeaders,
  query: URLSearchParams,
  cache?: ListingCache,
): Promise<ShareAnswer> {
  const path = parseSharePath(args);
  const share = shares.get(path.share);
  if (!share) {
    throw new ShareRefusal("not-found", `Cannot serve files from "${path.share}": no such share (shared: ${[...shares.keys()].join(", ") || "none"})`);
  }
  if (!share.hidden) refuseHidden(path);
  const shown = [path.share, ...path.segments].join("/");
  const opened = await openInside(share.realRoot, path.segments, shown, share.hidden);
  if (opened.kind === "directory") {
    try {
      const listing = await listPage(opened.listPath, {
        limit: parseLimit(query.get("limit")),
        cursor: query.get("cursor") ?? undefined,
        hidden: share.hidden,
        dirBytes: opened.stamp.size,
        ...(cache ? { cache, key: `${opened.realPath}\0${opened.stamp.ino}\0${opened.stamp.mtimeMs}` } : {}),
      });
      return { status: 200, mimetype: "application/json", headers: { "cache-control": "no-cache" }, listing };
    } finally {
      await opened.handle.close();
    }
  }
  const { stamp } = opened;
  const validators = { etag: etagOf(stamp), "last-modified": lastModifiedOf(stamp), "accept-ranges": "bytes" };
  if (notModified({ ifNoneMatch: headers["if-none-match"], ifModifiedSince: headers["if-modified-since"] }, stamp)) {
    await opened.handle.close();
    return { status: 304, mimetype: mimetypeFor(shown), headers: validators };
  }
  let range;
  try {
    range = rangeStillValid(headers["if-range"], stamp) ? parseRange(headers.range, stamp.size) : undefined;
  } catch (refusal) {
    await opened.handle.close();
    throw refusal;
  }
  const mimetype = mimetypeFor(shown);
  if (range === undefined) {
    const end = stamp.size - 1;
    return { status: 200, mimetype, headers: { ...validators, "content-length": String(stamp.size) }, file: { handle: opened.handle, start: 0, end } };
  }
  return {
    status: 206,
    mimetype,
    headers: { ...validators, "content-length": String(range.end - range.start + 1), "content-range": contentRange(range, stamp.size) },
    file: { handle: opened.handle, ...range },
  };
}
