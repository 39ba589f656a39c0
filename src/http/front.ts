/**
 * The local HTTP front: a REST request becomes an event, the reply becomes
 * the response. The same code serves both roles; only the path prefix and
 * how the pipe is found differ.
 */
import { Elysia, type AnyElysia } from "elysia";
import { isReservedCode, mimetypeProblem, replyHeadProblem, replyStatusProblem, requestHead } from "../replies/index.ts";
import { PeerReplyError, type IncomingReply, type OutboundEvent, type RequestTarget } from "../pipe/index.ts";
import { ReplyCode } from "../wire/index.ts";
import { handlerNameFor } from "../dispatch/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";
import { bearerTokenCheck } from "./auth.ts";
import { readBody } from "./body.ts";
import { BadRequestError, BodyTooLargeError, MethodNotAllowedError } from "./errors.ts";
import { parseEventPath } from "./path.ts";
import { headersForCode, outcomeForError, statusForCode, statusForReply, type ErrorOutcome } from "./status.ts";
import { callerContextOf, type CallerContext } from "./caller-context.ts";
import { PEER_HEADER } from "../trace/index.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Header carrying the event's return code on every response. */
export const RETURN_CODE_HEADER = "x-event-return-code";

const NO_BODY = new Uint8Array(0);

const EVENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/** Request bodies of a known length up to this size go inline (no stream, no extra round trip). */
export const INLINE_BODY_BYTES = 64 * 1024;

/** What the front needs from its node. */
export interface FrontOptions {
  readonly role: "server" | "client";
  /** Finds (waiting if need be) the pipe to a client CN (server) or to the server (client, `undefined`). */
  readonly acquire: (peer: string | undefined, signal: AbortSignal) => Promise<RequestTarget>;
  /** Largest body sent whole (the only kind an original v1 peer takes). */
  readonly maxBodyBytes: number;
  /** Largest body streamed to a peer that takes streams (undefined: no limit). */
  readonly maxStreamBytes?: number | undefined;
  readonly requestTimeoutMs: number;
  /** When set, every request needs `Authorization: Bearer <token>` (checked before anything else). */
  readonly token?: string | undefined;
  readonly log?: Logger;
  /** Routes of the front's own (health, metrics, status page), matched before the event route. */
  readonly routes?: AnyElysia;
  /** Server only: the fan-out route `/clients/<selector>/<noun>` (see fanoutHandler). */
  readonly fanout?: (request: Request) => Promise<Response>;
  /**
   * Lifts the front's idle timeout from the request's connection while its
   * event is in flight (after the body is read, until the response): only
   * the request deadline may end a request. Returns the release.
   */
  readonly holdOpen?: (request: Request) => () => void;
  /** The HTTP server is done with a streamed body's chunk when it reads the next (Runtime.httpLendsBodies): replies' streams lend their chunks. */
  readonly lendBodies?: boolean;
  /** Called once per event request with its verb (method), raw noun ("" when unparsable), reply code and duration. */
  readonly onSent?: (verb: string, noun: string, code: number, ms: number) => void;
  /** Called once per event request with its whole outcome (the audit log's `out` line). */
  readonly onAnswered?: (answer: FrontAnswer) => void;
}

/** One answered front request, as the audit log records it. */
export interface FrontAnswer {
  readonly verb: string;
  readonly noun: string;
  /** The CN of the peer the event went to; "" when it never reached a pipe. */
  readonly peer: string;
  readonly context: CallerContext | undefined;
  readonly code: number;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly ms: number;
  /** When the answer was made, as a performance.now() reading (the audit line's time is made from it: no second clock read). */
  readonly endedAt: number;
}

/** Builds the front as an Elysia app; serve it with the runtime adapter (`app.fetch`, or `createFrontFetch`). */
export function createFront(options: FrontOptions, handle: (request: Request) => Promise<Response> = eventHandler(options)) {
  const log = options.log ?? silentLogger;
  // One catch-all: paths outside /server/ or /client/<cn>/ (and the optional routes) get the front's own JSON 404.
  const fanout = options.fanout;
  const app = new Elysia({ name: `rp-${options.role}-front` }).use(options.routes ?? new Elysia());
  if (fanout) app.all("/clients/*", ({ request }) => answerErrors(fanout, request, log), { parse: "none" });
  return app.all("/*", ({ request }) => handle(request), { parse: "none" });
}

/** The path prefix of the event route of a role's front. */
function eventPrefix(role: FrontOptions["role"]): string {
  return role === "server" ? "/client/" : "/server/";
}

/**
 * The front as a fetch function for the runtime adapter: the Elysia app,
 * with a request for the event route (`/client/` on a server, `/server/` on
 * a client) answered from Elysia's first hook (`onRequest`), as its
 * catch-all would answer it, without the router and the route's context
 * (1-2 µs a request in process: the front rows of test/bench/pipe-cpu.ts).
 * When one of `options.routes` lies under that prefix (none of RestPipe's
 * own does), no hook is added, so that a route always wins over the
 * catch-all.
 */
export function createFrontFetch(options: FrontOptions): (request: Request) => Response | Promise<Response> {
  const handle = eventHandler(options);
  const app = createFront(options, handle);
  const prefix = eventPrefix(options.role);
  if (!app.routes.some((route) => route.path.startsWith(prefix))) {
    app.onRequest(({ request }) => {
      const url = request.url;
      return url.startsWith(prefix, url.indexOf("/", url.indexOf("//") + 2)) ? handle(request) : undefined;
    });
  }
  return (request) => app.fetch(request);
}

/** Runs `route`, answering its errors from the one error table. */
async function answerErrors(route: (request: Request) => Promise<Response>, request: Request, log: Logger): Promise<Response> {
  try {
    return await route(request);
  } catch (error) {
    const outcome = outcomeForError(error);
    if (outcome.status === 500) log.error("front request failed", { url: request.url, error: String(error) });
    else log.debug("front request refused", { url: request.url, status: outcome.status, reason: outcome.message });
    return errorResponse(outcome);
  }
}

/** The request → event → reply → response path, usable without Elysia (tests, benchmarks). */
export function eventHandler(options: FrontOptions): (request: Request) => Promise<Response> {
  const log = options.log ?? silentLogger;
  // No token: no check at all (not even an awaited no-op) on the hot path.
  const checkToken = options.token === undefined ? undefined : bearerTokenCheck(options.token);
  const { onSent, onAnswered } = options;
  const holdOpen = options.holdOpen;
  return async (request) => {
    const started = onSent || onAnswered ? performance.now() : 0;
    let noun = "";
    let context: CallerContext | undefined;
    let peer = "";
    let bytesIn = 0;
    let release: (() => void) | undefined;
    try {
      if (checkToken) await checkToken(request);
      if (!EVENT_METHODS.has(request.method)) throw new MethodNotAllowedError(request.method);
      const target = parseEventPath(options.role, request.url);
      noun = target.noun;
      context = callerContextOf(request.headers);
      const head = forwardedHead(request.headers);
      const declared = contentLength(request);
      // A small body of known length is read now, as before; a large or chunked one waits for the pipe's verdict.
      // A GET has no body: no read, not even an awaited one, on the hot path.
      let data =
        request.body === null && declared === undefined
          ? NO_BODY
          : request.body === null || (declared !== undefined && declared <= INLINE_BODY_BYTES)
            ? await readBody(request, options.maxBodyBytes)
            : undefined;
      release = holdOpen?.(request);
      const pipe = await options.acquire(target.peer, request.signal);
      peer = pipe.peer.name;
      let body: ReadableStream<Uint8Array> | undefined;
      if (data === undefined && pipe.streams) {
        const max = options.maxStreamBytes;
        if (max !== undefined && declared !== undefined && declared > max) throw new BodyTooLargeError(max, declared, `RP_${options.role.toUpperCase()}_MAX_STREAM_BYTES`);
        body = request.body!;
      } else if (data === undefined) {
        data = await readBody(request, options.maxBodyBytes); // an original v1 peer takes whole bodies only
      }
      bytesIn = data?.length ?? declared ?? 0;
      const mimetype = request.headers.get("content-type") ?? (body || (data && data.length > 0) ? "application/octet-stream" : "");
      // HEAD crosses as "head" to a peer that knows it (a head_* handler, or its GET without the body), as GET to another.
      const verb = request.method === "HEAD" && !pipe.replyHead ? "get" : request.method.toLowerCase();
      // Built by assignment: three object spreads per request showed in the profile (copyDataProperties).
      const event: Mutable<OutboundEvent> = { verb, noun: target.noun, mimetype, query: target.query, traceparent: context.traceparent };
      if (body) {
        event.body = body;
        if (declared !== undefined) event.bodyLength = declared;
      } else {
        event.data = data!;
      }
      if (context.caller !== undefined) event.caller = context.caller;
      if (context.tracestate !== undefined) event.tracestate = context.tracestate;
      if (head) event.head = head;
      const reply = await pipe.request(event, { deadlineMs: options.requestTimeoutMs, signal: request.signal });
      if (options.lendBodies === true) reply.lend?.(); // only the HTTP server reads a reply's stream, chunk after chunk
      const response = replyResponse(reply, pipe.peer.name, request.method, target.noun, options.role === "server" ? "RP_CLIENT_SHARES" : "RP_SERVER_SHARES");
      const endedAt = started === 0 ? 0 : performance.now(); // one clock read for both
      onSent?.(request.method, noun, reply.code ?? 0, endedAt - started);
      onAnswered?.({ verb: request.method, noun, peer, context, code: reply.code ?? 0, status: response.status, bytesIn, bytesOut: reply.data?.length ?? reply.bodyLength ?? 0, ms: endedAt - started, endedAt });
      return response;
    } catch (error) {
      const outcome = outcomeForError(error);
      if (outcome.status === 500) log.error("front request failed", { url: request.url, error: String(error) });
      else if (error instanceof PeerReplyError) log.warn("peer sent an unusable reply", { url: request.url, reason: outcome.message });
      else log.debug("front request refused", { url: request.url, status: outcome.status, reason: outcome.message });
      const endedAt = started === 0 ? 0 : performance.now();
      onSent?.(request.method, noun, outcome.code, endedAt - started);
      const response = errorResponse(outcome);
      onAnswered?.({ verb: request.method, noun, peer, context, code: outcome.code, status: outcome.status, bytesIn, bytesOut: 0, ms: endedAt - started, endedAt });
      return response;
    } finally {
      release?.();
    }
  };
}

/**
 * An EventReply from `peer` as the HTTP response (its CN in X-RestPipe-Peer; a policy refusal is 403). Throws PeerReplyError (502)
 * for what no RestPipe peer sends: a code only the front uses (253, 254) or a
 * mimetype that cannot be a header (CR, LF, NUL, over 1 KiB). The peer answers
 * "no handler" with an empty body (as the original does, so that v1 peers see
 * no change); the front says which handler it looked for.
 */
export function replyResponse(reply: IncomingReply, peer: string, method?: string, noun?: string, shareSetting?: string): Response {
  const code = reply.code ?? 0;
  if (code === ReplyCode.Timeout || code === ReplyCode.PipeLost) {
    throw new PeerReplyError(peer, `reply code ${code}, which RestPipe keeps for its front and never sends over the pipe`);
  }
  const problem = mimetypeProblem(reply.mimetype ?? "");
  if (problem) throw new PeerReplyError(peer, `an invalid mimetype (${problem})`);
  if (code === ReplyCode.NoHandler && (reply.data?.length ?? 0) === 0 && method !== undefined && noun !== undefined) {
    const name = handlerNameFor(method.toLowerCase(), noun);
    // The built-in files noun answers only where shares are configured: say so rather than only "no handler".
    const hint = shareSetting !== undefined && (name === "get_files" || name === "head_files") ? `: ${peer} shares no files; start it with --share NAME=DIR (or set ${shareSetting})` : "";
    const error = `no handler ${name} for ${method} ${noun}${hint}`;
    return errorResponse({ status: statusForCode(code), code, message: error, headers: headersForCode(code) });
  }
  if (reply.head === undefined && reply.stream === undefined && method !== "HEAD" && code !== ReplyCode.Unavailable) {
    // The common reply (whole body, no head): its headers from a template, which cost 0.4 µs less than a record.
    const status = httpStatusOf(reply, code, peer);
    if (!NULL_BODY_STATUSES.has(status)) {
      return new Response((reply.data ?? null) as Uint8Array<ArrayBuffer> | null, { status, headers: plainHeaders(reply.mimetype || "application/octet-stream", code, peer) });
    }
  }
  const headers: Record<string, string> = {
    "content-type": reply.mimetype || "application/octet-stream",
    [RETURN_CODE_HEADER]: String(code),
    ...headersForCode(code),
    [PEER_HEADER]: peer,
  };
  let status: number;
  let declared: number | undefined;
  try {
    status = httpStatusOf(reply, code, peer);
    declared = applyReplyHead(reply, headers, peer);
  } catch (error) {
    // Nobody will read a refused reply's body: its stream is cancelled, so the peer's stream stops too.
    if (reply.stream) void reply.stream.cancel("the reply was refused").catch(() => {});
    throw error;
  }
  if (method === "HEAD" || NULL_BODY_STATUSES.has(status)) {
    // No body: a streamed one is cancelled unread; HEAD keeps the length the body would have had.
    if (reply.stream) void reply.stream.cancel("no body for this response").catch(() => {});
    if (method === "HEAD" && status !== 304) {
      const length = declared ?? (reply.stream ? reply.bodyLength : reply.data?.length);
      if (length !== undefined) headers["content-length"] = String(length);
    }
    return new Response(null, { status, headers });
  }
  if (reply.stream) {
    // A streamed body is written as it arrives, with Content-Length when the handler knew it.
    if (reply.bodyLength !== undefined) headers["content-length"] = String(reply.bodyLength);
    return new Response(reply.stream, { status, headers });
  }
  return new Response((reply.data ?? null) as Uint8Array<ArrayBuffer> | null, { status, headers });
}

/** Header templates of plain replies by mimetype, code and peer (a Response copies its init's headers); bounded. */
const PLAIN_HEADERS = new Map<string, Headers>();
const MAX_PLAIN_HEADERS = 256;

/** Content-Type, X-Event-Return-Code and X-RestPipe-Peer of a reply without a head, as a shared template. */
function plainHeaders(mimetype: string, code: number, peer: string): Headers {
  // The mimetype holds no NUL (mimetypeProblem) and the code is digits: the key is unambiguous.
  const key = `${mimetype}\0${code}\0${peer}`;
  let headers = PLAIN_HEADERS.get(key);
  if (headers === undefined) {
    headers = new Headers({ "content-type": mimetype, [RETURN_CODE_HEADER]: String(code), [PEER_HEADER]: peer });
    if (PLAIN_HEADERS.size >= MAX_PLAIN_HEADERS) PLAIN_HEADERS.clear();
    PLAIN_HEADERS.set(key, headers);
  }
  return headers;
}

/** Statuses whose responses never have a body (RFC 9110 §15). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/**
 * The HTTP status of a peer's reply: a policy refusal is 403, RestPipe's own
 * codes map as always, and a handler's status (reply-head) wins over the 200
 * its code maps to. A status no peer may send is that request's 502.
 */
function httpStatusOf(reply: IncomingReply, code: number, peer: string): number {
  if (reply.httpStatus === undefined || reply.deniedByRule !== undefined || isReservedCode(code)) return statusForReply(reply);
  const problem = replyStatusProblem(reply.httpStatus);
  if (problem) throw new PeerReplyError(peer, `an invalid status (${problem})`);
  return reply.httpStatus;
}

/** Copies the reply's allow-listed headers onto `headers` (all but Content-Length, returned for HEAD); a hostile head is a PeerReplyError. */
function applyReplyHead(reply: IncomingReply, headers: Record<string, string>, peer: string): number | undefined {
  if (!reply.head) return undefined;
  const problem = replyHeadProblem(reply.head);
  if (problem) throw new PeerReplyError(peer, `an invalid reply head (${problem})`);
  let declared: number | undefined;
  for (const { name, value } of reply.head.headers) {
    if (name === "content-length") {
      // The body sets the length of a response that has one; only a HEAD answer takes it from the peer.
      const length = Number(value);
      if (!/^\d{1,15}$/.test(value!) || !Number.isSafeInteger(length)) throw new PeerReplyError(peer, `an invalid reply head (content-length ${JSON.stringify(value)})`);
      declared = length;
      continue;
    }
    headers[name!] = value!;
  }
  return declared;
}

/** The request's allow-listed headers for the peer; a value past the bounds is the caller's 400. */
function forwardedHead(requestHeaders: Headers): ReturnType<typeof requestHead> {
  try {
    return requestHead(requestHeaders);
  } catch (error) {
    throw new BadRequestError((error as Error).message);
  }
}

/** The declared Content-Length, when there is a valid one. */
function contentLength(request: Request): number | undefined {
  const declared = request.headers.get("content-length");
  if (declared === null) return undefined;
  const length = Number(declared);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** A front error as a JSON response: `{"error": "..."}`. */
export function errorResponse(outcome: ErrorOutcome): Response {
  return new Response(JSON.stringify({ error: outcome.message }), {
    status: outcome.status,
    headers: { "content-type": "application/json", [RETURN_CODE_HEADER]: String(outcome.code), ...outcome.headers },
  });
}
