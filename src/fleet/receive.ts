/**
 * The receiving end of a peer link: an event forwarded by another server of
 * the fleet names its client and the session epoch it was routed to. It is
 * passed to that client's pipe only when this server holds the client at
 * exactly that epoch (fencing: a stale session never answers); else it is
 * refused with a reason and the HTTP status the sending front answers. Bodies
 * cross as they come: the inbound stream goes to the client's pipe, the
 * client's reply stream back to the link, with no buffering here.
 */
import type { Logger } from "../log/index.ts";
import {
  PipeClosedError,
  RequestAbortedError,
  RequestTimeoutError,
  StreamResetError,
  type InboundContext,
  type InboundHandler,
  type OutgoingReply,
  type Pipe,
} from "../pipe/index.ts";
import type { Event } from "../wire/index.ts";

/** What the receiving end needs. */
export interface ForwardedDeps {
  readonly fleet: string;
  /** This server's current pipe to `cn` and the epoch of its claim (once a claim in progress is made), when it holds one. */
  readonly session: (cn: string) => Promise<Session | undefined>;
  /** Reads a whole body for a client that takes no streams (an original v1 peer), within the body limit. */
  readonly readWhole: (body: ReadableStream<Uint8Array>) => Promise<Uint8Array>;
  readonly log: Logger;
  /** Counts a received event, and a refused one. */
  readonly counted: (refused: boolean) => void;
  /** The link's peer is not of this fleet: close the link. */
  readonly foreign: (reason: string) => void;
  /** The peer now holds `cn`: close this server's session of it (claimed at `epoch` or before). */
  readonly takeover: (cn: string, epoch: number) => void;
  /** The link's peer said its server id: this server may forward to it over the same link. */
  readonly sender?: (id: string) => void;
}

/** A client's session on this server. */
export interface Session {
  readonly pipe: Pipe;
  readonly epoch: number;
}

/** The refusal a sending front turns into `status` (503, 502 or 504). */
function refusal(status: 502 | 503 | 504, reason: string): OutgoingReply {
  return { mimetype: "text/plain", code: 0, data: new Uint8Array(0), fleetRefusal: reason, fleetStatus: status };
}

/** The handler of the events a peer server forwards over its link to us. */
export function forwardedEventHandler(deps: ForwardedDeps): InboundHandler {
  let sender: string | undefined;
  return async (event: Event, context: InboundContext): Promise<OutgoingReply> => {
    if (event.fleetSender !== undefined && event.fleetSender !== sender && event.fleetName === deps.fleet) {
      sender = event.fleetSender;
      deps.sender?.(sender);
    }
    if (event.fleetTakeover === true && event.fleetName === deps.fleet && event.fleetTarget !== undefined) {
      deps.takeover(event.fleetTarget, event.fleetEpoch ?? 0);
      return { mimetype: "", code: 0, data: new Uint8Array(0) };
    }
    const checked = await checkForward(event, deps);
    deps.counted(!("pipe" in checked));
    if (!("pipe" in checked)) return checked;
    const { pipe } = checked;
    try {
      const body = context.body && !pipe.streams ? await deps.readWhole(context.body) : undefined;
      const reply = await pipe.request(
        {
          // HEAD to a client that cannot answer it: its GET (the front that took the HEAD drops the body).
          verb: event.verb === "head" && !pipe.replyHead ? "get" : (event.verb ?? ""),
          noun: event.noun ?? "",
          mimetype: event.mimetype ?? "",
          ...(context.body && pipe.streams
            ? // ownChunks: a received stream, read only by this pipe's pump, gives copies that are only ours (as replies below).
              { body: context.body, ownChunks: true, ...(event.bodyLength === undefined ? {} : { bodyLength: event.bodyLength }) }
            : { data: body ?? event.data ?? new Uint8Array(0) }),
          ...(event.query ? { query: event.query } : {}),
          ...(event.caller === undefined ? {} : { caller: event.caller }),
          ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
          ...(event.tracestate === undefined ? {} : { tracestate: event.tracestate }),
          ...(event.head === undefined ? {} : { head: event.head }),
        },
        { ...(event.deadlineMs ? { deadlineMs: event.deadlineMs } : {}), signal: context.signal },
      );
      // The head is rebuilt: body_stream and the version are the link's business, set by its pipe.
      return {
        mimetype: reply.mimetype ?? "",
        code: reply.code ?? 0,
        data: reply.data ?? new Uint8Array(0),
        ...(reply.deniedByRule === undefined ? {} : { deniedByRule: reply.deniedByRule }),
        ...(reply.httpStatus === undefined ? {} : { httpStatus: reply.httpStatus }),
        ...(reply.head === undefined ? {} : { head: reply.head }),
        // ownChunks: a received stream, read only by the link's pipe, gives copies that are only ours.
        ...(reply.stream ? { stream: reply.stream, ownChunks: true, ...(reply.bodyLength === undefined ? {} : { bodyLength: reply.bodyLength }) } : {}),
      };
    } catch (error) {
      const message = (error as Error).message;
      if (error instanceof RequestTimeoutError) return refusal(504, message);
      if (error instanceof PipeClosedError || error instanceof StreamResetError || error instanceof RequestAbortedError) return refusal(502, message);
      return refusal(503, message);
    }
  };
}

/** The current session of the event's client here at the event's epoch, or the refusal saying why not. */
async function checkForward(event: Event, deps: ForwardedDeps): Promise<OutgoingReply | Session> {
  if (event.fleetName !== deps.fleet) {
    const reason = `Cannot take forwarded events: the sending server is in fleet "${event.fleetName ?? ""}", this one in "${deps.fleet}"; set RP_SERVER_FLEET alike on both`;
    deps.log.warn("refused a fleet peer", { reason });
    deps.foreign(reason);
    return refusal(503, reason);
  }
  const cn = event.fleetTarget;
  const epoch = event.fleetEpoch;
  if (cn === undefined || epoch === undefined) return refusal(503, "Cannot take the event: a peer link carries forwarded events only (with fleet_target and fleet_epoch)");
  const session = await deps.session(cn);
  if (session === undefined) return refusal(503, `Cannot answer for "${cn}" at epoch ${epoch}: it is not connected here (any more); the sender routes again`);
  if (session.epoch !== epoch) {
    return refusal(503, `Cannot answer for "${cn}" at epoch ${epoch}: its session here is at epoch ${session.epoch}; the sender routes again`);
  }
  return session;
}
