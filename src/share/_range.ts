/**
 * One byte range of a `Range` header (RFC 9110 §14). Only a single range is
 * served; a header this module cannot honour exactly is ignored (the whole
 * file, 200), as the RFC allows, except an unsatisfiable one (416).
 */
import { ShareRefusal } from "./errors.ts";

/** Inclusive byte offsets of the part to send. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Longest Range header considered; longer ones are ignored (no parser work for a hostile caller). */
const MAX_RANGE_HEADER = 256;

/**
 * The range to send of a `size`-byte file, `undefined` for the whole file.
 * Throws ShareRefusal("unsatisfiable-range") when the one range asked for lies
 * wholly past the end (the front answers 416 with `Content-Range: bytes *\/size`).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined || header.length > MAX_RANGE_HEADER) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined; // several ranges, another unit, or garbage: serve the whole file
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) throw unsatisfiable(size);
    if (size === 0) throw unsatisfiable(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return undefined;
  if (start >= size) throw unsatisfiable(size);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (!Number.isSafeInteger(end) || end < start) return undefined;
  return { start, end };
}

/** `Content-Range` of a partial answer. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

function unsatisfiable(size: number): ShareRefusal {
  return new ShareRefusal("unsatisfiable-range", `Cannot serve the range asked for: the file has ${size} bytes`, { size });
}
