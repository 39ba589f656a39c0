/**
 * Runs the handler an event names and turns what it returns (or throws) into
 * an EventReply. Codes: 0 or the handler's own; 255 no handler; 251 the
 * handler threw; 252 the event itself was malformed (those replies are
 * built in replies/, which pipe/ shares).
 */
import { badRequestReply, checkReply, handlerErrorReply, noHandlerReply, replyHeadProblem, replyStatusProblem, requestHeaders, InvalidReplyError } from "../replies/index.ts";
import { ReplyCode, type Event, type EventReply } from "../wire/index.ts";
import { BadBodyError, decodeBody, decodeStreamedBody, encodeData, encodeJson } from "./body.ts";
import { BadArgumentError, findHandler, routeFor } from "./names.ts";
import { isReply, reply, type HandlerContext, type PeerInfo, type Reply } from "./types.ts";

/** Where and how an event arrived. */
export interface DispatchContext {
  readonly peer: PeerInfo;
  readonly signal: AbortSignal;
  /** The request body when it arrives as a stream (the event's `data` is then empty). */
  readonly body?: ReadableStream<Uint8Array>;
}

/** A reply as the dispatcher gives it: `stream` holds a streamed body (`bodyLength` its length, if known). */
export type DispatchReply = EventReply & { readonly stream?: ReadableStream<Uint8Array> };

/** Bodies up to this many bytes are buffered for `body.data` by default (1 MiB). */
export const DEFAULT_BUFFER_BODY_BYTES = 1024 * 1024;

/** Dispatcher options. */
export interface DispatchOptions {
  /** Include stack traces in exception replies (DEBUG=1). */
  readonly debug?: boolean;
  /** Called after each event with the handler name and the reply code (metrics, logs). */
  readonly onHandled?: (handlerName: string, code: number, ms: number) => void;
  /** A streamed request body up to this many bytes is also given as `body.data` (default 1 MiB). */
  readonly bufferBodyBytes?: number;
  /** Called when a handler threw, with its name and what it threw (unredacted: for this node's log only). */
  readonly onFailed?: (handlerName: string, error: unknown) => void;
}

/** Answers one event; never rejects. */
export type Dispatcher = (event: Event, context: DispatchContext) => Promise<DispatchReply>;

const JSON_MIMETYPE = "application/json";

/** Creates the dispatcher for a handler module (a module namespace, an object or a class instance). */
export function createDispatcher(handlers: object, options: DispatchOptions = {}): Dispatcher {
  const found = new Map<string, (...args: unknown[]) => unknown>();
  const onHandled = options.onHandled;
  return async (event, dispatchContext) => {
    const started = onHandled === undefined ? 0 : performance.now(); // a clock read per event only when someone takes the time
    const verb = event.verb ?? "";
    const noun = event.noun ?? "";
    let handlerName = `${verb}_?`;
    let result: DispatchReply;
    try {
      let route = routeFor(verb, noun);
      let handler = found.get(route.handlerName) ?? remember(found, route.handlerName, findHandler(handlers, route.handlerName));
      // HEAD without a head_* handler: the GET handler runs and its body is dropped (the reply keeps its length).
      const headAsGet = verb === "head" && !handler;
      if (headAsGet) {
        route = routeFor("get", noun);
        handler = found.get(route.handlerName) ?? remember(found, route.handlerName, findHandler(handlers, route.handlerName));
      }
      handlerName = route.handlerName;
      if (!handler) {
        result = noHandlerReply();
      } else {
        const body = dispatchContext.body
          ? await decodeStreamedBody(event.mimetype ?? "", dispatchContext.body, event.bodyLength, options.bufferBodyBytes ?? DEFAULT_BUFFER_BODY_BYTES)
          : decodeBody(event.mimetype ?? "", event.data ?? new Uint8Array(0));
        const context = handlerContext(dispatchContext, verb, noun, event);
        result = toEventReply(await handler.call(handlers, context, body, ...route.args));
        if (headAsGet) result = withoutBody(result);
      }
    } catch (error) {
      const malformed = error instanceof BadArgumentError || error instanceof BadBodyError;
      if (!malformed) options.onFailed?.(handlerName, error);
      result = malformed ? badRequestReply(error.message) : handlerErrorReply(error, options.debug ?? false);
    }
    onHandled?.(handlerName, result.code ?? 0, performance.now() - started);
    return result;
  };
}

/** Remembers a handler that was found (never a miss: names come from the network, handlers are few). */
function remember<T>(found: Map<string, T>, name: string, handler: T | undefined): T | undefined {
  if (handler) found.set(name, handler);
  return handler;
}

/**
 * The handler's context; `signal`, `query` and `headers` are made only if the
 * handler reads them (most never do). A class, its getters on the prototype:
 * an object literal with getters cost about 4x as much to make, once per event.
 */
class EventContext implements HandlerContext {
  readonly traceparent: string;
  readonly tracestate: string;
  readonly caller: string;
  readonly peer: PeerInfo;
  readonly reply = reply;
  #query: URLSearchParams | undefined = undefined;
  #headers: Readonly<Record<string, string>> | undefined = undefined;
  readonly #dispatchContext: DispatchContext;
  readonly #event: Event;

  constructor(
    dispatchContext: DispatchContext,
    readonly verb: string,
    readonly noun: string,
    event: Event,
  ) {
    this.#dispatchContext = dispatchContext;
    this.#event = event;
    this.traceparent = event.traceparent ?? "";
    this.tracestate = event.tracestate ?? "";
    this.caller = event.caller ?? "";
    this.peer = dispatchContext.peer;
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.#headers ??= requestHeaders(this.#event.head));
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#event.query ?? ""));
  }

  get signal(): AbortSignal {
    return this.#dispatchContext.signal;
  }
}

function handlerContext(dispatchContext: DispatchContext, verb: string, noun: string, event: Event): HandlerContext {
  return new EventContext(dispatchContext, verb, noun, event);
}

/**
 * Turns a handler's return value into a reply: a Reply as given, bytes as
 * octet-stream, a Blob (a file opened by the runtime (Bun's `file(path)`): its type, its size as the length) or
 * a ReadableStream as a streamed body, anything else JSON.
 */
export function toEventReply(value: unknown): DispatchReply {
  if (isReply(value)) {
    checkReply(value.mimetype, value.code); // a Reply forged with the brand rather than made by reply()
    const http = httpPart(value);
    const streamed = streamedData(value.data);
    if (streamed) return { mimetype: value.mimetype, code: value.code, ...streamed, ...http };
    return { mimetype: value.mimetype, code: value.code, data: encodeData(value.data), ...http };
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return { mimetype: "application/octet-stream", code: ReplyCode.Ok, data: encodeData(value) };
  }
  const streamed = streamedData(value);
  if (streamed) return { mimetype: value instanceof Blob && value.type ? value.type : "application/octet-stream", code: ReplyCode.Ok, ...streamed };
  return { mimetype: JSON_MIMETYPE, code: ReplyCode.Ok, data: encodeJson(value) };
}

/** A Reply's status and head, checked again (a Reply forged with the brand skips reply()'s checks). */
function httpPart(value: Reply): Pick<EventReply, "httpStatus" | "head"> {
  const part: Pick<EventReply, "httpStatus" | "head"> = {};
  if (value.status !== undefined) {
    const problem = replyStatusProblem(value.status);
    if (problem) throw new InvalidReplyError(`Cannot reply: ${problem}`);
    part.httpStatus = value.status;
  }
  if (value.head !== undefined) {
    const problem = replyHeadProblem(value.head);
    if (problem) throw new InvalidReplyError(`Cannot reply: ${problem}`);
    part.head = value.head;
  }
  return part;
}

/**
 * A GET handler's reply for a HEAD: no body (a stream is cancelled unread),
 * its length as Content-Length unless the handler set one.
 */
export function withoutBody(result: DispatchReply): DispatchReply {
  const { stream, data, bodyLength, ...rest } = result;
  const length = stream ? bodyLength : (data?.length ?? 0);
  if (stream) void stream.cancel("HEAD: the body is not sent").catch(() => {});
  const headers = rest.head?.headers ?? [];
  if (length === undefined || headers.some((header) => header.name === "content-length")) return { ...rest, data: new Uint8Array(0) };
  return { ...rest, data: new Uint8Array(0), head: { headers: [...headers, { name: "content-length", value: String(length) }] } };
}

/** A Blob or ReadableStream as a streamed body (empty `data`), else undefined. */
function streamedData(value: unknown): { data: Uint8Array; stream: ReadableStream<Uint8Array>; bodyLength?: number } | undefined {
  if (value instanceof Blob) return { data: new Uint8Array(0), stream: value.stream() as ReadableStream<Uint8Array>, bodyLength: value.size };
  if (value instanceof ReadableStream) return { data: new Uint8Array(0), stream: value as ReadableStream<Uint8Array> };
  return undefined;
}
