/**
 * Runs the handler an event names and turns what it returns (or throws) into
 * an EventReply. Codes: 0 or the handler's own; 255 no handler; 251 the
 * handler threw; 252 the event itself was malformed (those replies are
 * built in replies/, which pipe/ shares).
 */
import { badRequestReply, checkReply, handlerErrorReply, noHandlerReply } from "../replies/index.ts";
import { ReplyCode, type Event, type EventReply } from "../wire/index.ts";
import { BadBodyError, decodeBody, encodeData, encodeJson } from "./body.ts";
import { BadArgumentError, findHandler, routeFor } from "./names.ts";
import { isReply, reply, type HandlerContext, type PeerInfo } from "./types.ts";

/** Where and how an event arrived. */
export interface DispatchContext {
  readonly peer: PeerInfo;
  readonly signal: AbortSignal;
}

/** Dispatcher options. */
export interface DispatchOptions {
  /** Include stack traces in exception replies (DEBUG=1). */
  readonly debug?: boolean;
  /** Called after each event with the handler name and the reply code (metrics, logs). */
  readonly onHandled?: (handlerName: string, code: number, ms: number) => void;
  /** Called when a handler threw, with its name and what it threw (unredacted: for this node's log only). */
  readonly onFailed?: (handlerName: string, error: unknown) => void;
}

/** Answers one event; never rejects. */
export type Dispatcher = (event: Event, context: DispatchContext) => Promise<EventReply>;

const JSON_MIMETYPE = "application/json";

/** Creates the dispatcher for a handler module (a module namespace, an object or a class instance). */
export function createDispatcher(handlers: object, options: DispatchOptions = {}): Dispatcher {
  const found = new Map<string, (...args: unknown[]) => unknown>();
  return async (event, dispatchContext) => {
    const started = performance.now();
    const verb = event.verb ?? "";
    const noun = event.noun ?? "";
    let handlerName = `${verb}_?`;
    let result: EventReply;
    try {
      const route = routeFor(verb, noun);
      handlerName = route.handlerName;
      const handler = found.get(route.handlerName) ?? remember(found, route.handlerName, findHandler(handlers, route.handlerName));
      if (!handler) {
        result = noHandlerReply();
      } else {
        const body = decodeBody(event.mimetype ?? "", event.data ?? new Uint8Array(0));
        const context = handlerContext(dispatchContext, verb, noun, event.query ?? "");
        result = toEventReply(await handler.call(handlers, context, body, ...route.args));
      }
    } catch (error) {
      const malformed = error instanceof BadArgumentError || error instanceof BadBodyError;
      if (!malformed) options.onFailed?.(handlerName, error);
      result = malformed ? badRequestReply(error.message) : handlerErrorReply(error, options.debug ?? false);
    }
    options.onHandled?.(handlerName, result.code ?? 0, performance.now() - started);
    return result;
  };
}

/** Remembers a handler that was found (never a miss: names come from the network, handlers are few). */
function remember<T>(found: Map<string, T>, name: string, handler: T | undefined): T | undefined {
  if (handler) found.set(name, handler);
  return handler;
}

/** The handler's context; `signal` and `query` are made only if the handler reads them (most never do). */
function handlerContext(dispatchContext: DispatchContext, verb: string, noun: string, rawQuery: string): HandlerContext {
  let query: URLSearchParams | undefined;
  return {
    peer: dispatchContext.peer,
    verb,
    noun,
    get query() {
      return (query ??= new URLSearchParams(rawQuery));
    },
    get signal() {
      return dispatchContext.signal;
    },
    reply,
  };
}

/** Turns a handler's return value into a reply: a Reply as given, bytes as octet-stream, anything else JSON. */
export function toEventReply(value: unknown): EventReply {
  if (isReply(value)) {
    checkReply(value.mimetype, value.code); // a Reply forged with the brand rather than made by reply()
    return { mimetype: value.mimetype, code: value.code, data: encodeData(value.data) };
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return { mimetype: "application/octet-stream", code: ReplyCode.Ok, data: encodeData(value) };
  }
  return { mimetype: JSON_MIMETYPE, code: ReplyCode.Ok, data: encodeJson(value) };
}
