/**
 * Label values with bounded cardinality. A caller of the front chooses the
 * method and the noun, so neither may become a label as given: verbs outside
 * the front's six become "other", and a handler name is only used when a
 * handler on the peer actually answered (otherwise any path would mint a
 * new series).
 */
import { ReplyCode } from "../wire/index.ts";

const VERBS = ["get", "head", "post", "put", "patch", "delete"];
/** Method (either case) → label, so the hot path does a lookup, not toLowerCase(). */
const VERB_LABELS: ReadonlyMap<string, string> = new Map(VERBS.flatMap((verb) => [[verb, verb], [verb.toUpperCase(), verb]]));

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
  return VERB_LABELS.get(verb) ?? VERB_LABELS.get(verb.toLowerCase()) ?? "other";
}

/** True when `code` means a handler ran (0, a handler's own code, or 251 "handler threw"). */
export function handlerAnswered(code: number): boolean {
  return !NOT_HANDLED.has(code);
}

/** The part of a raw noun that names the handler (before `//`), or "" when no handler answered. */
export function handlerPath(noun: string, code: number): string {
  if (!handlerAnswered(code)) return "";
  const split = noun.indexOf("//");
  return split === -1 ? noun : noun.slice(0, split);
}

/** The verb a handler name starts with ("get_time" → "get"). */
export function verbOfHandler(handlerName: string): string {
  const end = handlerName.indexOf("_");
  return verbLabel(end === -1 ? handlerName : handlerName.slice(0, end));
}
