/**
 * The relative path of a share request, checked segment by segment before any
 * file-system call: the arguments after `files//` arrive percent-decoded, one
 * per `/`, so an encoded slash shows up as a "/" inside one segment.
 */
import { ShareRefusal } from "./errors.ts";

/** Longest relative path accepted, in UTF-8 bytes (PATH_MAX is 4096 on Linux). */
export const MAX_SHARE_PATH_BYTES = 4096;

/** A share name and the checked segments below its root. */
export interface SharePath {
  readonly share: string;
  readonly segments: readonly string[];
}

/**
 * `["docs", "reports", "q3.pdf"]` → share `docs`, segments `["reports", "q3.pdf"]`.
 * A trailing empty segment (`docs/reports/`) asks for the directory; any other
 * empty segment, a dot segment, a slash or backslash, NUL or a control
 * character is refused (hidden segments: see `refuseHidden`).
 */
export function parseSharePath(args: readonly string[]): SharePath {
  const [share, ...rest] = args;
  if (share === undefined || share === "") {
    throw new ShareRefusal("bad-path", "Cannot serve files: no share named; ask for files//<share>/<path>");
  }
  const segments = rest.length > 0 && rest[rest.length - 1] === "" ? rest.slice(0, -1) : rest;
  let bytes = 0;
  for (const segment of [share, ...segments]) {
    bytes += new TextEncoder().encode(segment).length + 1;
    checkSegment(segment);
  }
  if (bytes > MAX_SHARE_PATH_BYTES) {
    throw new ShareRefusal("bad-path", `Cannot serve files: the path has ${bytes} bytes, over the limit of ${MAX_SHARE_PATH_BYTES}`);
  }
  return { share, segments };
}

function checkSegment(segment: string): void {
  if (segment === "") throw new ShareRefusal("bad-path", "Cannot serve files: the path has an empty segment (//)");
  if (segment === "." || segment === "..") {
    throw new ShareRefusal("bad-path", `Cannot serve files: the path has a dot segment "${segment}"`);
  }
  if (segment.includes("/") || segment.includes("\\")) {
    throw new ShareRefusal("bad-path", "Cannot serve files: a path segment holds an encoded slash or a backslash");
  }
  if (/[\u0000-\u001f\u007f]/.test(segment)) {
    throw new ShareRefusal("bad-path", "Cannot serve files: the path holds NUL or a control character");
  }
}

/** Refuses a path with a hidden segment (a name starting with "."), for shares without --share-hidden. */
export function refuseHidden(path: SharePath): void {
  const hidden = path.segments.find((segment) => segment.startsWith("."));
  if (hidden !== undefined) {
    throw new ShareRefusal("forbidden", `Cannot serve "${hidden}": hidden files are not shared; start the node with --share-hidden`);
  }
}
