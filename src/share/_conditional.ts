/**
 * Validators and conditional requests (RFC 9110 §8.8, §13): a strong ETag
 * from the file's identity, size and modification time, `If-None-Match`
 * (weak comparison, `*`) before `If-Modified-Since`, as the RFC orders them.
 */

/** What a file's validators are made from (an fstat of the opened file). */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** `"<ino>-<size>-<mtime>"` in hex: changes whenever the content may have. */
export function etagOf(stamp: FileStamp): string {
  return `"${stamp.ino.toString(16)}-${stamp.size.toString(16)}-${Math.floor(stamp.mtimeMs).toString(16)}"`;
}

/** `Last-Modified`, in IMF-fixdate. */
export function lastModifiedOf(stamp: FileStamp): string {
  return new Date(Math.floor(stamp.mtimeMs / 1000) * 1000).toUTCString();
}

/** Request headers that make a GET or HEAD conditional. */
export interface Conditions {
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
}

/** True when the caller's copy is current: answer 304 Not Modified. */
export function notModified(conditions: Conditions, stamp: FileStamp): boolean {
  if (conditions.ifNoneMatch !== undefined) return matchesAny(conditions.ifNoneMatch, etagOf(stamp));
  if (conditions.ifModifiedSince === undefined) return false;
  const since = Date.parse(conditions.ifModifiedSince);
  if (Number.isNaN(since)) return false;
  return Math.floor(stamp.mtimeMs / 1000) * 1000 <= since;
}

/** `If-Range`: the range applies only while the validator still matches (a date or a strong ETag). */
export function rangeStillValid(ifRange: string | undefined, stamp: FileStamp): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === etagOf(stamp);
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(stamp.mtimeMs / 1000) * 1000 <= date;
}

function matchesAny(header: string, etag: string): boolean {
  const opaque = etag.replace(/^W\//, "");
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === opaque;
  });
}
