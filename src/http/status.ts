/**
 * The one table from outcomes to HTTP: reply codes and errors map to a
 * status here and nowhere else (DESIGN.md, "Reply codes and HTTP status").
 */
import { FrameTooLargeError, ReplyCode, type EventReply } from "../wire/index.ts";
import { isReservedCode, replyStatusProblem } from "../replies/index.ts";
import {
  NotConnectedError,
  PeerReplyError,
  PeerUnavailableError,
  PipeClosedError,
  PipeDrainingError,
  RequestAbortedError,
  RequestTimeoutError,
  TooManyInFlightError,
  WriteQueueFullError,
  StreamResetError,
  StreamsUnsupportedError,
  StreamTooLargeError,
} from "../pipe/index.ts";
import { FanoutRequestError, FanoutTooLargeError } from "../fanout/index.ts";
import { BadRequestError, BodyTooLargeError, MethodNotAllowedError, NotFoundError, ShuttingDownError, UnauthorizedError } from "./errors.ts";

/** HTTP status for an EventReply code: RestPipe's reserved codes have their own, handler codes are 200. */
export function statusForCode(code: number): number {
  switch (code) {
    case ReplyCode.NoHandler:
      return 404;
    case ReplyCode.HandlerError:
      return 500;
    case ReplyCode.BadRequest:
      return 400;
    case ReplyCode.Unavailable:
      return 503;
    case ReplyCode.Timeout:
      return 504;
    case ReplyCode.PipeLost:
      return 502;
    default:
      return 200;
  }
}

/**
 * HTTP status for a whole EventReply: a refusal by the peer's policy
 * (denied_by_rule set) is 403; RestPipe's own codes map as the table says; a
 * handler's HTTP status (reply-head, 200-599) wins over the 200 its code maps to.
 */
export function statusForReply(reply: EventReply): number {
  if (reply.deniedByRule !== undefined) return 403;
  const code = reply.code ?? 0;
  const status = reply.httpStatus;
  if (status !== undefined && !isReservedCode(code) && replyStatusProblem(status) === undefined) return status;
  return statusForCode(code);
}

/** Seconds a client should wait before retrying a 503 for load. */
export const RETRY_AFTER_S = 1;

const RETRY_LATER: Readonly<Record<string, string>> = { "retry-after": String(RETRY_AFTER_S) };

/** Extra response headers for an EventReply code: a peer at its limit or draining (250) asks for a retry later. */
export function headersForCode(code: number): Readonly<Record<string, string>> {
  return code === ReplyCode.Unavailable ? RETRY_LATER : {};
}

/** How the front answers an error. */
export interface ErrorOutcome {
  readonly status: number;
  /** Sent as X-Event-Return-Code. */
  readonly code: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Maps an error raised while serving a front request to status, code and message. */
export function outcomeForError(error: unknown): ErrorOutcome {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UnauthorizedError) {
    return { status: 401, code: ReplyCode.BadRequest, message, headers: { "www-authenticate": 'Bearer realm="restpipe"' } };
  }
  if (error instanceof BodyTooLargeError || error instanceof FrameTooLargeError || error instanceof StreamTooLargeError || error instanceof StreamsUnsupportedError || error instanceof FanoutTooLargeError) {
    // Usually the body was not read: closing spares the client sending the rest, and Bun reading it to discard it.
    return { status: 413, code: ReplyCode.BadRequest, message, headers: { connection: "close" } };
  }
  if (error instanceof BadRequestError || error instanceof FanoutRequestError) return { status: 400, code: ReplyCode.BadRequest, message };
  if (error instanceof NotFoundError) return { status: 404, code: ReplyCode.NoHandler, message };
  if (error instanceof MethodNotAllowedError) {
    return { status: 405, code: ReplyCode.BadRequest, message, headers: { allow: error.allow } };
  }
  if (error instanceof ShuttingDownError) return { status: 503, code: ReplyCode.Unavailable, message, headers: { connection: "close" } };
  if (error instanceof NotConnectedError || error instanceof PipeDrainingError || error instanceof PeerUnavailableError) {
    return { status: 503, code: ReplyCode.Unavailable, message };
  }
  if (error instanceof TooManyInFlightError || error instanceof WriteQueueFullError) {
    return { status: 503, code: ReplyCode.Unavailable, message, headers: RETRY_LATER };
  }
  if (error instanceof RequestTimeoutError) return { status: 504, code: ReplyCode.Timeout, message };
  if (error instanceof PipeClosedError || error instanceof PeerReplyError || error instanceof StreamResetError) return { status: 502, code: ReplyCode.PipeLost, message };
  // The HTTP client went away: nobody reads this answer.
  if (error instanceof RequestAbortedError) return { status: 499, code: ReplyCode.PipeLost, message };
  return { status: 500, code: ReplyCode.HandlerError, message: "internal error in the front" };
}
