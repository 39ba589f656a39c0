/** What a handler author works with: the context, the request body, the reply. */

import { checkReply, InvalidReplyError, replyHeadOf, replyStatusProblem } from "../replies/index.ts";

/** Marks reply objects, so that plain data can never be mistaken for one. */
export const REPLY_BRAND: unique symbol = Symbol.for("restpipe.reply") as never;

/** A reply with an explicit mimetype and return code (the seed's 3-tuple). */
export interface Reply {
  readonly [REPLY_BRAND]: true;
  readonly mimetype: string;
  readonly code: number;
  /**
   * Bytes or text are sent as they are; a Blob (a file opened by the runtime (Bun's `file(path)`)) or a
   * ReadableStream<Uint8Array> is streamed (a Blob with its size as
   * Content-Length); anything else is JSON-encoded.
   */
  readonly data: string | Uint8Array | Blob | ReadableStream<Uint8Array> | unknown;
  /** The HTTP status the caller's front answers with (200-599), when the peer reads it (reply-head); else the code's usual one. */
  readonly status?: number;
  /** Allow-listed response headers (ETag, Last-Modified, Content-Range, ...), checked; sent to peers that read them. */
  readonly head?: ReplyHead;
}

/** Response headers as they cross the pipe (the wire's HttpHead; declared here so that restpipe.d.ts stays self-contained). */
export interface ReplyHead {
  headers: Array<{ name?: string; value?: string }>;
}

/** The HTTP part of a reply: `ctx.reply(mime, code, data, { status: 404, headers: { etag: '"v1"' } })`. */
export interface ReplyOptions {
  /** A whole number from 200 to 599. */
  readonly status?: number;
  /** Names from the allow-list (any case): Accept-Ranges, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Content-Length (HEAD), Content-Range, ETag, Expires, Last-Modified, Vary. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Builds a Reply. Also available to handlers as `ctx.reply`. Throws
 * InvalidReplyError (answered as a 251 naming the value) for a code that is
 * not a whole number from 0 to 2^32-1 or is one of RestPipe's 250-255, and
 * for a mimetype that cannot be a header.
 */
export function reply(mimetype: string, code: number, data: string | Uint8Array | Blob | ReadableStream<Uint8Array> | unknown, options?: ReplyOptions): Reply {
  checkReply(mimetype, code);
  if (options === undefined) return { [REPLY_BRAND]: true, mimetype, code, data };
  const made: { -readonly [K in keyof Reply]: Reply[K] } = { [REPLY_BRAND]: true, mimetype, code, data };
  if (options.status !== undefined) {
    const problem = replyStatusProblem(options.status);
    if (problem) throw new InvalidReplyError(`Cannot reply: ${problem}; pass one such as 404 to ctx.reply's status`);
    made.status = options.status;
  }
  if (options.headers !== undefined) {
    try {
      made.head = replyHeadOf(options.headers);
    } catch (error) {
      throw new InvalidReplyError(`Cannot reply: ${(error as Error).message}; pass only those headers to ctx.reply`);
    }
  }
  return made;
}

/** True when `value` was made by `reply()` (or carries its brand). */
export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[REPLY_BRAND] === true;
}

/** The request body as a handler sees it: both "" when there is none. */
export interface RequestBody {
  readonly mimetype: string;
  /**
   * Decoded JSON for JSON mimetypes, a string for text, bytes otherwise; ""
   * when empty. Undefined for a body over the buffering threshold
   * (RP_X_BUFFER_BODY_BYTES, 1 MiB): read `stream()` instead.
   */
  readonly data: unknown;
  /** The body's raw bytes as a stream, whatever its size (read it once). */
  stream(): ReadableStream<Uint8Array>;
  /** The body's length in bytes, when known. */
  readonly length?: number;
}

/** Who sent the event. */
export interface PeerInfo {
  /** The peer's certificate CN. */
  readonly name: string;
  readonly remoteAddress: string;
}

/** Everything a handler may want to know about the event besides its body and arguments. */
export interface HandlerContext {
  readonly peer: PeerInfo;
  readonly verb: string;
  /** The raw noun, still percent-encoded, arguments included. */
  readonly noun: string;
  /** The front request's query string. */
  readonly query: URLSearchParams;
  /** Aborted when the sender stops waiting (deadline, disconnect). */
  readonly signal: AbortSignal;
  /** Builds a reply with an explicit mimetype and code. */
  readonly reply: typeof reply;
  /** W3C traceparent of the request (the caller's, or a new one); "" when the node sets none. */
  readonly traceparent: string;
  /** W3C tracestate that came with it, "" when none. */
  readonly tracestate: string;
  /** The caller tag the sender's local app gave (X-RestPipe-Caller), "" when none. */
  readonly caller: string;
  /**
   * The front request's Range, If-Range, If-None-Match, If-Modified-Since and
   * Accept-Encoding headers (lower-case names), when the sender forwards them
   * (a peer of this implementation with reply-head); {} otherwise.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** One handler method: `get_cat(ctx, body, "hello ", "world")`. */
export type Handler = (ctx: HandlerContext, body: RequestBody, ...args: string[]) => unknown;

/** State-change hooks a handler module may define (never dispatched as events). */
export const HOOK_NAMES = ["connect_success", "connect_fail", "connection_added", "connection_removed", "idle"] as const;
