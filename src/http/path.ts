/**
 * Front paths → target and raw noun. The noun stays percent-encoded (the
 * handler decodes arguments); the client name is decoded and matched
 * exactly (no case folding). Refused here, so that every runtime answers
 * alike: dot segments (`.`, `..`, raw or percent-encoded, also inside an
 * encoded slash or backslash: `..%2F`), NUL and control characters, nouns
 * over MAX_NOUN_LENGTH, client names holding a slash or backslash.
 *
 * Bun's HTTP server (1.4.4) resolves some of these before the app sees the
 * request: raw and percent-encoded dot segments (`/a/../b`, `/a/%2e%2e/b`,
 * `/a/.%2E/b`, `/a/%2e/b`) and a raw backslash (as `/`), exactly as the
 * WHATWG URL parser does; a raw control character in the request line is
 * answered 505 by Bun itself. What Bun hands over is a path the caller could
 * have sent as is, so nothing is gained by it. Deno passes everything
 * through, and these checks answer 400.
 */
import { BadRequestError, NotFoundError } from "./errors.ts";

/** Longest noun accepted, in bytes of its raw (percent-encoded) form. */
export const MAX_NOUN_LENGTH = 2048;

/** Where an event goes and what it names. */
export interface EventTarget {
  /** The client CN (server front) or undefined (client front: the server). */
  readonly peer: string | undefined;
  /** Raw noun, e.g. `cat//hello%20/world`. */
  readonly noun: string;
  /** Raw query string without "?" ("" when none). */
  readonly query: string;
}

/** Splits a request URL (absolute or path-only) into raw path and query. */
export function splitUrl(url: string): { path: string; query: string } {
  const start = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  const rest = start === -1 ? "/" : url.slice(start);
  const hash = rest.indexOf("#");
  const withoutHash = hash === -1 ? rest : rest.slice(0, hash);
  const mark = withoutHash.indexOf("?");
  return mark === -1 ? { path: withoutHash, query: "" } : { path: withoutHash.slice(0, mark), query: withoutHash.slice(mark + 1) };
}

/** Parses `/server/<noun>` (client front) or `/client/<cn>/<noun>` (server front). */
export function parseEventPath(role: "server" | "client", url: string): EventTarget {
  const { path, query } = splitUrl(url);
  if (role === "client") {
    if (!path.startsWith("/server/")) throw new NotFoundError(`No route for ${path}: events go to /server/<noun>`);
    return { peer: undefined, noun: checkNoun(path.slice("/server/".length)), query };
  }
  if (!path.startsWith("/client/")) throw new NotFoundError(`No route for ${path}: events go to /client/<client-name>/<noun>`);
  const rest = path.slice("/client/".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw new NotFoundError(`No route for ${path}: events go to /client/<client-name>/<noun>`);
  return { peer: decodeName(rest.slice(0, slash)), noun: checkNoun(rest.slice(slash + 1)), query };
}

function decodeName(raw: string): string {
  const name = decode(raw, () => `Cannot read client name "${raw}": invalid percent-encoding`);
  const refuse = (why: string) => new BadRequestError(`Cannot read client name ${JSON.stringify(name)}: ${why}`);
  if (hasControl(name)) throw refuse("control characters are not allowed");
  // A CN could hold one, but "/client/a%2F..%2Fb/" must never look like a path to anyone downstream.
  if (/[/\\]/.test(name)) throw refuse("a slash or backslash (even percent-encoded) is not allowed");
  if (isDotSegment(name)) throw refuse("dot segments are not allowed");
  return name;
}

/** Checks a raw noun (not empty, within MAX_NOUN_LENGTH, no control characters or dot segments) and returns it. */
export function checkNoun(noun: string): string {
  if (noun === "") throw new NotFoundError("No noun in the path: nothing names a handler");
  if (noun.length > MAX_NOUN_LENGTH) throw new BadRequestError(`Cannot accept noun: ${noun.length} bytes exceeds the limit of ${MAX_NOUN_LENGTH}`);
  const decoded = decode(noun, () => `Cannot accept noun "${noun}": invalid percent-encoding`);
  if (hasControl(decoded)) throw new BadRequestError(`Cannot accept noun ${JSON.stringify(noun)}: NUL and control characters are not allowed`);
  // Without a `%` nothing is encoded: the dot segments are the raw ones (one test instead of a split per segment).
  if (decoded === noun && !RAW_DOT_SEGMENT.test(noun)) return noun;
  // Each raw segment, decoded, split again at the slashes and backslashes it may encode.
  for (const segment of noun.split("/")) {
    if (decode(segment, () => "").split(/[/\\]/).some(isDotSegment)) {
      throw new BadRequestError(`Cannot accept noun "${noun}": dot segments are not allowed`);
    }
  }
  return noun;
}

/** `raw` percent-decoded; text without a `%` is its own decoding (no decodeURIComponent call on the hot path). */
function decode(raw: string, message: () => string): string {
  if (!raw.includes("%")) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestError(message());
  }
}

/** A `.` or `..` segment between slashes or backslashes (or the ends) of a raw noun. */
const RAW_DOT_SEGMENT = /(?:^|[/\\])\.\.?(?:$|[/\\])/;

function isDotSegment(text: string): boolean {
  return text === "." || text === "..";
}

function hasControl(text: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(text);
}
