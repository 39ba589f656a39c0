/** What a handler author works with: the context, the request body, the reply. */

import { checkReply } from "../replies/index.ts";

/** Marks reply objects, so that plain data can never be mistaken for one. */
export const REPLY_BRAND: unique symbol = Symbol.for("restpipe.reply") as never;

/** A reply with an explicit mimetype and return code (the seed's 3-tuple). */
export interface Reply {
  readonly [REPLY_BRAND]: true;
  readonly mimetype: string;
  readonly code: number;
  /** Bytes or text are sent as they are; anything else is JSON-encoded. */
  readonly data: string | Uint8Array | unknown;
}

/**
 * Builds a Reply. Also available to handlers as `ctx.reply`. Throws
 * InvalidReplyError (answered as a 251 naming the value) for a code that is
 * not a whole number from 0 to 2^32-1 or is one of RestPipe's 250-255, and
 * for a mimetype that cannot be a header.
 */
export function reply(mimetype: string, code: number, data: string | Uint8Array | unknown): Reply {
  checkReply(mimetype, code);
  return { [REPLY_BRAND]: true, mimetype, code, data };
}

/** True when `value` was made by `reply()` (or carries its brand). */
export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[REPLY_BRAND] === true;
}

/** The request body as a handler sees it: both "" when there is none. */
export interface RequestBody {
  readonly mimetype: string;
  /** Decoded JSON for JSON mimetypes, a string for text, bytes otherwise; "" when empty. */
  readonly data: unknown;
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
}

/** One handler method: `get_cat(ctx, body, "hello ", "world")`. */
export type Handler = (ctx: HandlerContext, body: RequestBody, ...args: string[]) => unknown;

/** State-change hooks a handler module may define (never dispatched as events). */
export const HOOK_NAMES = ["connect_success", "connect_fail", "connection_added", "connection_removed", "idle"] as const;
