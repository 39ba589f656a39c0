/** The Pipe's public shapes: its peer, options, status, counters, and what inbound handlers get. */
import type { Event, EventReply, HttpHead } from "../wire/index.ts";
import type { Logger } from "../log/index.ts";
import type { Clock } from "./clock.ts";

/** Who is at the other end, once authenticated. */
export interface PipePeer {
  /** The peer's name: the CN of its certificate. */
  readonly name: string;
  /** "host:port" of the peer. */
  readonly remoteAddress: string;
  /** The client's labels from its certificate (`role=db`), for fan-out selectors; none when absent. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** What an inbound handler gets besides the event. */
export interface InboundContext {
  readonly peer: PipePeer;
  /** Aborted when the sender's deadline passes, the sender resets the exchange (its caller left) or the pipe closes. */
  readonly signal: AbortSignal;
  /** The request body, when it arrives as a stream (`event.data` is then empty; `event.bodyLength` its length if known). */
  readonly body?: ReadableStream<Uint8Array>;
}

/** A reply as the requester gets it: `stream` holds the body when it arrives as a stream (`data` is then empty). */
export type IncomingReply = EventReply & {
  readonly stream?: ReadableStream<Uint8Array>;
  /**
   * With `stream`: call before reading it when its reader is done with each chunk once it reads the next one (an
   * HTTP server that writes or copies every chunk first): its chunks are then lent views of the received bytes.
   */
  readonly lend?: () => void;
};

/** A reply as a handler gives it: with `stream` the body is sent as a stream (`bodyLength` its length, if known). */
export type OutgoingReply = EventReply & {
  readonly stream?: ReadableStream<Uint8Array>;
  /**
   * With `stream`: its chunks that are whole buffers are buffers of their own that nobody else holds (a reply
   * stream this process received, forwarded: its reader gets copies or fresh joins, never views of a read): the
   * pipe frees each once its frames are written, instead of the collector, late.
   */
  readonly ownChunks?: boolean;
};

/** Answers one inbound event. A rejection is answered as a handler error (code 251). */
export type InboundHandler = (event: Event, context: InboundContext) => Promise<OutgoingReply> | OutgoingReply;

/** An event to send: verb and raw noun, optional body, query and deadline. */
export interface OutboundEvent {
  readonly verb: string;
  readonly noun: string;
  readonly mimetype?: string;
  readonly data?: Uint8Array;
  readonly query?: string;
  /** The body as a stream instead of `data` (only to a peer with `streams`); its length when known. */
  readonly body?: ReadableStream<Uint8Array>;
  readonly bodyLength?: number;
  /** With `body`: its chunks that are whole buffers are only ours, freed once written (as OutgoingReply.ownChunks). */
  readonly ownChunks?: boolean;
  /** The local app's caller tag; sent only to peers listing the caller-ctx capability. */
  readonly caller?: string;
  /** W3C trace context; sent only to peers listing the caller-ctx capability. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** Allow-listed request headers (Range, If-None-Match, ...); sent only to peers listing the reply-head capability. */
  readonly head?: HttpHead;
  /** A forward between servers of a fleet: sent only to peers listing the fleet capability. */
  readonly fleet?: FleetForward;
}

/** What a forwarded event names: the client it is for, the session epoch it was routed to, the sender's fleet. */
export interface FleetForward {
  readonly target: string;
  readonly epoch: number;
  readonly fleet: string;
  /** A takeover notice rather than a request: the receiver closes its session of `target` and answers. */
  readonly takeover?: boolean;
  /** The sending server's id (the receiver forwards to it over the same link). */
  readonly sender?: string;
}

/**
 * Where the front sends one event: a Pipe, or a stand-in for one (a client
 * held by another server of the fleet, reached through a peer link).
 */
export interface RequestTarget {
  readonly peer: PipePeer;
  /** True when the target takes streamed bodies. */
  readonly streams: boolean;
  /** True when the target reads request heads and sends reply heads (ranges, conditional requests, HEAD). */
  readonly replyHead: boolean;
  request(event: OutboundEvent, options?: RequestOptions): Promise<IncomingReply>;
}

/** How long to wait for one reply. */
export interface RequestOptions {
  /** Reject with RequestTimeoutError after this many ms (also sent to the peer). */
  readonly deadlineMs?: number;
  /** Reject with RequestAbortedError when this fires. */
  readonly signal?: AbortSignal;
}

/**
 * Where the outcome of a request sent with `Pipe.requestPrepared` goes: one
 * call, under the caller's token, instead of a promise (a fan-out passes one
 * sink for all its targets, their index as the token).
 */
export interface ReplySink {
  replied(token: number, reply: IncomingReply): void;
  /** Deadline (RequestTimeoutError), `Pipe.abortRequest` (RequestAbortedError), the pipe's end, a refusal of the peer. */
  failed(token: number, error: Error): void;
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
  /** Names the peer's frame limit setting and side in refusals, e.g. "RP_CLIENT_MAX_FRAME_BYTES on the client". */
  readonly peerFrameSetting?: string;
  /** Outbound requests waiting for replies before `request` rejects with TooManyInFlightError. */
  readonly maxInFlight?: number;
  /** Inbound events being handled before new ones are answered "unavailable". */
  readonly maxInboundInFlight?: number;
  /** Largest streamed body accepted or sent (undefined: no limit). */
  readonly maxStreamBytes?: number;
  /** Bytes that may wait to be written before reading from the peer pauses and new requests are refused. */
  readonly maxWriteQueueBytes?: number;
  /** Over the write-queue bound with the peer taking nothing this long: the pipe is closed (0: never). */
  readonly slowConsumerTimeoutMs?: number;
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
