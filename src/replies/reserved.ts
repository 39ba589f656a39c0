/**
 * The EventReplies RestPipe itself sends, with the codes it reserves
 * (250-255, see wire's ReplyCode): 250 unavailable, 251 handler error,
 * 252 bad request, 255 no handler. Pure: dispatch/ and pipe/ both answer
 * with these, so a reply means the same whichever side built it.
 */
import { ReplyCode, type EventReply } from "../wire/index.ts";
import { redactPaths } from "./_redact.ts";

const JSON_MIMETYPE = "application/json";
const encoder = new TextEncoder();

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** 250: the receiver is draining or at its in-flight limit (`why`); the sender may retry later. */
export function unavailableReply(why: string): EventReply {
  return { mimetype: JSON_MIMETYPE, code: ReplyCode.Unavailable, data: json({ error: `unavailable: ${why}` }) };
}

/**
 * 251: the handler threw: `{"exception": {"message", "class"}}`. Paths in
 * the message are redacted (they tell a peer about the handling host) unless
 * `debug` (DEBUG=1), which also adds the stack.
 */
export function handlerErrorReply(error: unknown, debug: boolean): EventReply {
  const message = error instanceof Error ? error.message : String(error);
  const exception: Record<string, string> = {
    message: debug ? message : redactPaths(message),
    class: error instanceof Error ? error.name : typeof error,
  };
  if (debug && error instanceof Error && error.stack) exception["stack"] = error.stack;
  return { mimetype: JSON_MIMETYPE, code: ReplyCode.HandlerError, data: json({ exception }) };
}

/** 252: the event itself was malformed (bad argument encoding, invalid JSON body): `{"error": message}`. */
export function badRequestReply(message: string): EventReply {
  return { mimetype: JSON_MIMETYPE, code: ReplyCode.BadRequest, data: json({ error: message }) };
}

/** 255: no handler answers the verb and noun (as the original: text/plain, empty). */
export function noHandlerReply(): EventReply {
  return { mimetype: "text/plain", code: ReplyCode.NoHandler, data: new Uint8Array(0) };
}
