/**
 * What a front request adds to its event besides verb, noun and body: the
 * local app's caller tag (checked; refused with 400 when too long or not
 * printable ASCII) and its W3C trace context (a new trace when it has none
 * or a malformed one). A caller's own X-RestPipe-Peer is never read: the
 * front sets that header on replies, from the pipe.
 */
import { CALLER_HEADER, callerProblem, traceContext } from "../trace/index.ts";
import { BadRequestError } from "./errors.ts";

/** The caller and trace fields of one event. */
export interface CallerContext {
  readonly caller?: string;
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** Reads the caller tag and trace context of a front request; throws BadRequestError for a bad caller tag. */
export function callerContextOf(headers: Headers): CallerContext {
  const caller = headers.get(CALLER_HEADER) ?? undefined;
  if (caller !== undefined) {
    const problem = callerProblem(caller);
    if (problem !== undefined) throw new BadRequestError(problem);
  }
  const trace = traceContext(headers.get("traceparent") ?? undefined, headers.get("tracestate") ?? undefined);
  if (caller === undefined && trace.tracestate === undefined) return { traceparent: trace.traceparent }; // the usual case: no spread
  return {
    ...(caller === undefined ? {} : { caller }),
    traceparent: trace.traceparent,
    ...(trace.tracestate === undefined ? {} : { tracestate: trace.tracestate }),
  };
}
