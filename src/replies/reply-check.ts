/**
 * What a reply may carry, checked where a handler makes one (`ctx.reply`)
 * and where a peer's reply becomes an HTTP response: a code the wire can
 * hold that is not RestPipe's own, and a mimetype that is a safe header value.
 */

/** Longest reply mimetype accepted, in bytes (it becomes a Content-Type header). */
export const MAX_MIMETYPE_BYTES = 1024;

/** Largest reply code: the wire field is a u32. */
export const MAX_REPLY_CODE = 0xffff_ffff;

/** Codes 250–255 are RestPipe's own (unavailable, handler error, bad request, timeout, pipe lost, no handler). */
export function isReservedCode(code: number): boolean {
  return code >= 250 && code <= 255;
}

/** A handler asked for a reply the wire or HTTP cannot carry: its code or mimetype. */
export class InvalidReplyError extends RangeError {
  override name = "InvalidReplyError";
}

/** Why `code` cannot be a handler's reply code, or undefined when it can. */
export function replyCodeProblem(code: unknown): string | undefined {
  if (typeof code !== "number" || !Number.isInteger(code) || code < 0 || code > MAX_REPLY_CODE) {
    return `Cannot reply with code ${describeValue(code)}: a reply code is a whole number from 0 to ${MAX_REPLY_CODE}; pass one to ctx.reply`;
  }
  if (isReservedCode(code)) {
    return `Cannot reply with code ${code}: codes 250-255 are reserved for RestPipe; use a code below 250 or above 255 (or throw, for a 251)`;
  }
  return undefined;
}

/** Why `mimetype` cannot be a reply's mimetype (not a string, CR/LF/NUL or another control character, over 1 KiB), or undefined. */
export function mimetypeProblem(mimetype: unknown): string | undefined {
  if (typeof mimetype !== "string") return `a mimetype is a string, got ${describeValue(mimetype)}`;
  if (mimetype.length > MAX_MIMETYPE_BYTES) return `mimetype of ${mimetype.length} bytes exceeds the limit of ${MAX_MIMETYPE_BYTES}`;
  // A header value: visible Latin-1, space and tab; never CR, LF or NUL (header injection).
  if (/[^\t\x20-\x7e\x80-\xff]/.test(mimetype)) return `mimetype ${JSON.stringify(mimetype)} holds a control character (CR, LF, NUL, ...) or one beyond Latin-1`;
  return undefined;
}

/** Throws InvalidReplyError when a handler's code or mimetype cannot be sent. */
export function checkReply(mimetype: unknown, code: unknown): void {
  const codeProblem = replyCodeProblem(code);
  if (codeProblem) throw new InvalidReplyError(codeProblem);
  const problem = mimetypeProblem(mimetype);
  if (problem) throw new InvalidReplyError(`Cannot reply: ${problem}; pass a plain mimetype such as "text/plain" to ctx.reply`);
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}
