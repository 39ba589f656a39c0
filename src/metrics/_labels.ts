/**
 * Label values with bounded cardinality. A caller of the front chooses the
 * method and the noun, so neither may become a label as given: verbs outside
 * the front's five become "other", and a handler name is only used when a
 * handler on the peer actually answered (otherwise any path would mint a
 * new series).
 */
import { handlerNameFor } from "../dispatch/index.ts";
import { ReplyCode } from "../wire/index.ts";

const VERBS: ReadonlySet<string> = new Set(["get", "post", "put", "patch", "delete"]);

/** Codes that say no handler answered: the event never reached one (or none exists). */
const NOT_HANDLED: ReadonlySet<number> = new Set([
  ReplyCode.Unavailable,
  ReplyCode.BadRequest,
  ReplyCode.Timeout,
  ReplyCode.PipeLost,
  ReplyCode.NoHandler,
]);

/** "get" for GET/get; "other" for anything the front does not send. */
export function verbLabel(verb: string): string {
  const lower = verb.toLowerCase();
  return VERBS.has(lower) ? lower : "other";
}

/** True when `code` means a handler ran (0, a handler's own code, or 251 "handler threw"). */
export function handlerAnswered(code: number): boolean {
  return !NOT_HANDLED.has(code);
}

/** The handler label of a sent event: the handler's name when one answered, "" otherwise. */
export function sentHandlerLabel(verb: string, noun: string, code: number): string {
  return handlerAnswered(code) ? handlerNameFor(verb.toLowerCase(), noun) : "";
}

/** The verb a handler name starts with ("get_time" → "get"). */
export function verbOfHandler(handlerName: string): string {
  const end = handlerName.indexOf("_");
  return verbLabel(end === -1 ? handlerName : handlerName.slice(0, end));
}
