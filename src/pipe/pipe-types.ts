/** The Pipe's public shapes: its peer, options, status, counters, and what inbound handlers get. */
import type { Event, EventReply } from "../wire/index.ts";
import type { Logger } from "../log/index.ts";
import type { Clock } from "./clock.ts";

/** Who is at the other end, once authenticated. */
export interface PipePeer {
  /** The peer's name: the CN of its certificate. */
  readonly name: string;
  /** "host:port" of the peer. */
  readonly remoteAddress: string;
}

/** What an inbound handler gets besides the event. */
export interface InboundContext {
  readonly peer: PipePeer;
  /** Aborted when the sender's deadline passes or the pipe closes. */
  readonly signal: AbortSignal;
}

/** Answers one inbound event. A rejection is answered as a handler error (code 251). */
export type InboundHandler = (event: Event, context: InboundContext) => Promise<EventReply> | EventReply;

/** An event to send: verb and raw noun, optional body, query and deadline. */
export interface OutboundEvent {
  readonly verb: string;
  readonly noun: string;
  readonly mimetype?: string;
  readonly data?: Uint8Array;
  readonly query?: string;
}

/** How long to wait for one reply. */
export interface RequestOptions {
  /** Reject with RequestTimeoutError after this many ms (also sent to the peer). */
  readonly deadlineMs?: number;
  /** Reject with RequestAbortedError when this fires. */
  readonly signal?: AbortSignal;
}

/** The pipe's life cycle. */
export type PipeStatus =
  | { readonly state: "open" }
  | { readonly state: "draining" }
  | { readonly state: "closed"; readonly error?: Error };

/** Construction options. Times in ms; 0 disables a heartbeat part. */
export interface PipeOptions {
  readonly peer: PipePeer;
  readonly onEvent: InboundHandler;
  readonly clock?: Clock;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly maxFrameBytes?: number;
  /** Outbound requests waiting for replies before `request` rejects with TooManyInFlightError. */
  readonly maxInFlight?: number;
  /** Inbound events being handled before new ones are answered "unavailable". */
  readonly maxInboundInFlight?: number;
  readonly log?: Logger;
  /** Called when the peer sends GoAway (it is draining); reconnect after `retryAfterMs`. */
  readonly onGoAway?: (retryAfterMs: number, reason: string) => void;
  /** Called once when the pipe closes. */
  readonly onClose?: (error: Error | undefined) => void;
  /** Called with the round-trip time of each answered heartbeat (metrics). */
  readonly onHeartbeat?: (rttMs: number) => void;
  /** Capabilities announced besides this implementation's own, e.g. "small-records" from a client behind a proxy. */
  readonly capabilities?: readonly string[];
}

/** Counters a pipe keeps; read them, never write them. */
export interface PipeStats {
  requestsSent: number;
  repliesReceived: number;
  eventsReceived: number;
  /** Replies whose id matched no pending request (unknown or already timed out): dropped. */
  unknownReplies: number;
  bytesIn: number;
  bytesOut: number;
}
