/**
 * The local HTTP front: a REST request becomes an event, the reply becomes
 * the response. The same code serves both roles; only the path prefix and
 * how the pipe is found differ.
 */
import { Elysia, type AnyElysia } from "elysia";
import { mimetypeProblem } from "../replies/index.ts";
import { PeerReplyError, type Pipe } from "../pipe/index.ts";
import { ReplyCode, type EventReply } from "../wire/index.ts";
import { handlerNameFor } from "../dispatch/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";
import { bearerTokenCheck } from "./auth.ts";
import { readBody } from "./body.ts";
import { MethodNotAllowedError } from "./errors.ts";
import { parseEventPath } from "./path.ts";
import { headersForCode, outcomeForError, statusForCode, type ErrorOutcome } from "./status.ts";

/** Header carrying the event's return code on every response. */
export const RETURN_CODE_HEADER = "x-event-return-code";

const EVENT_METHODS: ReadonlySet<string> = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** What the front needs from its node. */
export interface FrontOptions {
  readonly role: "server" | "client";
  /** Finds (waiting if need be) the pipe to a client CN (server) or to the server (client, `undefined`). */
  readonly acquire: (peer: string | undefined, signal: AbortSignal) => Promise<Pipe>;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** When set, every request needs `Authorization: Bearer <token>` (checked before anything else). */
  readonly token?: string | undefined;
  readonly log?: Logger;
  /** Routes of the front's own (health, metrics, status page), matched before the event route. */
  readonly routes?: AnyElysia;
  /**
   * Lifts the front's idle timeout from the request's connection while its
   * event is in flight (after the body is read, until the response): only
   * the request deadline may end a request. Returns the release.
   */
  readonly holdOpen?: (request: Request) => () => void;
  /** Called once per event request with its verb (method), raw noun ("" when unparsable), reply code and duration. */
  readonly onSent?: (verb: string, noun: string, code: number, ms: number) => void;
}

/** Builds the front as an Elysia app; serve it with the runtime adapter (`app.fetch`). */
export function createFront(options: FrontOptions) {
  const handle = eventHandler(options);
  // One catch-all: paths outside /server/ or /client/<cn>/ (and the optional routes) get the front's own JSON 404.
  return new Elysia({ name: `rp-${options.role}-front` })
    .use(options.routes ?? new Elysia())
    .all("/*", ({ request }) => handle(request), { parse: "none" });
}

/** The request → event → reply → response path, usable without Elysia (tests, benchmarks). */
export function eventHandler(options: FrontOptions): (request: Request) => Promise<Response> {
  const log = options.log ?? silentLogger;
  // No token: no check at all (not even an awaited no-op) on the hot path.
  const checkToken = options.token === undefined ? undefined : bearerTokenCheck(options.token);
  const onSent = options.onSent;
  const holdOpen = options.holdOpen;
  return async (request) => {
    const started = onSent ? performance.now() : 0;
    let noun = "";
    let release: (() => void) | undefined;
    try {
      if (checkToken) await checkToken(request);
      if (!EVENT_METHODS.has(request.method)) throw new MethodNotAllowedError(request.method);
      const target = parseEventPath(options.role, request.url);
      noun = target.noun;
      const data = await readBody(request, options.maxBodyBytes);
      release = holdOpen?.(request);
      const pipe = await options.acquire(target.peer, request.signal);
      const reply = await pipe.request(
        {
          verb: request.method.toLowerCase(),
          noun: target.noun,
          mimetype: request.headers.get("content-type") ?? (data.length > 0 ? "application/octet-stream" : ""),
          data,
          query: target.query,
        },
        { deadlineMs: options.requestTimeoutMs, signal: request.signal },
      );
      const response = replyResponse(reply, pipe.peer.name, request.method, target.noun);
      onSent?.(request.method, noun, reply.code ?? 0, performance.now() - started);
      return response;
    } catch (error) {
      const outcome = outcomeForError(error);
      if (outcome.status === 500) log.error("front request failed", { url: request.url, error: String(error) });
      else if (error instanceof PeerReplyError) log.warn("peer sent an unusable reply", { url: request.url, reason: outcome.message });
      else log.debug("front request refused", { url: request.url, status: outcome.status, reason: outcome.message });
      onSent?.(request.method, noun, outcome.code, performance.now() - started);
      return errorResponse(outcome);
    } finally {
      release?.();
    }
  };
}

/**
 * An EventReply from `peer` as the HTTP response. Throws PeerReplyError (502)
 * for what no RestPipe peer sends: a code only the front uses (253, 254) or a
 * mimetype that cannot be a header (CR, LF, NUL, over 1 KiB). The peer answers
 * "no handler" with an empty body (as the original does, so that v1 peers see
 * no change); the front says which handler it looked for.
 */
export function replyResponse(reply: EventReply, peer: string, method?: string, noun?: string): Response {
  const code = reply.code ?? 0;
  if (code === ReplyCode.Timeout || code === ReplyCode.PipeLost) {
    throw new PeerReplyError(peer, `reply code ${code}, which RestPipe keeps for its front and never sends over the pipe`);
  }
  const problem = mimetypeProblem(reply.mimetype ?? "");
  if (problem) throw new PeerReplyError(peer, `an invalid mimetype (${problem})`);
  if (code === ReplyCode.NoHandler && (reply.data?.length ?? 0) === 0 && method !== undefined && noun !== undefined) {
    const error = `no handler ${handlerNameFor(method.toLowerCase(), noun)} for ${method} ${noun}`;
    return errorResponse({ status: statusForCode(code), code, message: error, headers: headersForCode(code) });
  }
  return new Response((reply.data ?? null) as Uint8Array<ArrayBuffer> | null, {
    status: statusForCode(code),
    headers: { "content-type": reply.mimetype || "application/octet-stream", [RETURN_CODE_HEADER]: String(code), ...headersForCode(code) },
  });
}

/** A front error as a JSON response: `{"error": "..."}`. */
export function errorResponse(outcome: ErrorOutcome): Response {
  return new Response(JSON.stringify({ error: outcome.message }), {
    status: outcome.status,
    headers: { "content-type": "application/json", [RETURN_CODE_HEADER]: String(outcome.code), ...outcome.headers },
  });
}
