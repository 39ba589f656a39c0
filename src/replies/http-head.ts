/**
 * HTTP semantics across the pipe (the `reply-head` capability): which request
 * headers an event carries, which response headers and statuses a reply may
 * set, and their bounds. Everything here is checked on both ends: where a
 * handler sets it (its error is the handler's 251) and where a peer's reply
 * becomes a response (a hostile peer's value is that request's 502).
 */
import type { HttpHead } from "../wire/index.ts";

/** Request headers the front forwards to the peer (lower-case): what ranges and conditional requests need. */
export const REQUEST_HEADERS: readonly string[] = ["range", "if-range", "if-none-match", "if-modified-since", "accept-encoding"];

/** Response headers a reply may set (lower-case); `content-length` only counts for HEAD, where no body says it. */
export const REPLY_HEADERS: readonly string[] = [
  "accept-ranges",
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "content-length",
  "content-range",
  "etag",
  "expires",
  "last-modified",
  "vary",
];

/** Most headers one head may hold. */
export const MAX_HEAD_HEADERS = 16;
/** Longest header value, in characters. */
export const MAX_HEADER_VALUE = 1024;
/** Most characters of names and values of one head together. */
export const MAX_HEAD_CHARS = 4096;

const REQUEST_SET: ReadonlySet<string> = new Set(REQUEST_HEADERS);
const REPLY_SET: ReadonlySet<string> = new Set(REPLY_HEADERS);

/** Why a header value cannot be sent (CR, LF, NUL or another control character, too long), or undefined. */
export function headerValueProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `the ${name} header's value is not a string`;
  if (value.length > MAX_HEADER_VALUE) return `the ${name} header has ${value.length} characters, over the limit of ${MAX_HEADER_VALUE}`;
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return `the ${name} header holds a control character (CR, LF, NUL, ...) or one beyond Latin-1`;
  return undefined;
}

/** The allow-listed request headers of a front request as an event head, or undefined when it has none. Throws RangeError with the fix for a value past the bounds. */
export function requestHead(headers: Headers): HttpHead | undefined {
  let head: HttpHead | undefined;
  for (const name of REQUEST_HEADERS) {
    const value = headers.get(name);
    if (value === null) continue;
    const problem = headerValueProblem(name, value);
    if (problem) throw new RangeError(`Cannot forward the request: ${problem}; send a shorter one`);
    (head ??= { headers: [] }).headers.push({ name, value });
  }
  return head;
}

/** An event's head as the handler sees it (`ctx.headers`): allow-listed names only, within the bounds; anything else from the peer is dropped. */
export function requestHeaders(head: HttpHead | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!head) return out;
  for (const { name, value } of head.headers.slice(0, MAX_HEAD_HEADERS)) {
    if (name === undefined || !REQUEST_SET.has(name) || headerValueProblem(name, value) !== undefined) continue;
    out[name] = value!;
  }
  return out;
}

/** Why `status` cannot be a reply's HTTP status (a whole number from 200 to 599), or undefined. */
export function replyStatusProblem(status: unknown): string | undefined {
  if (typeof status === "number" && Number.isInteger(status) && status >= 200 && status <= 599) return undefined;
  return `HTTP status ${typeof status === "string" ? JSON.stringify(status) : String(status)} is not a whole number from 200 to 599`;
}

/** Why `head` cannot be a reply's head (a name off the allow-list, a bad value, past the bounds), or undefined. */
export function replyHeadProblem(head: HttpHead): string | undefined {
  if (head.headers.length > MAX_HEAD_HEADERS) return `${head.headers.length} reply headers exceed the limit of ${MAX_HEAD_HEADERS}`;
  let chars = 0;
  for (const { name, value } of head.headers) {
    if (name === undefined || !REPLY_SET.has(name)) {
      return `the reply header ${JSON.stringify(name ?? "")} is not one a reply may set (${REPLY_HEADERS.join(", ")})`;
    }
    const problem = headerValueProblem(name, value);
    if (problem) return problem;
    chars += name.length + value!.length;
  }
  if (chars > MAX_HEAD_CHARS) return `the reply headers hold ${chars} characters, over the limit of ${MAX_HEAD_CHARS}`;
  return undefined;
}

/** Reply headers given as a record (any case) → a head (lower-case names). Throws RangeError naming the problem. */
export function replyHeadOf(headers: Readonly<Record<string, unknown>>): HttpHead {
  const head: HttpHead = { headers: Object.entries(headers).map(([name, value]) => ({ name: name.toLowerCase(), value: value as string })) };
  const problem = replyHeadProblem(head);
  if (problem) throw new RangeError(problem);
  return head;
}
