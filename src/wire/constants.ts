/** Wire protocol v1 constants: one name per number that crosses the pipe. */

/** Bytes in a frame header: u8 type, u8 flags, u32 body length, u32 message id (big-endian). */
export const HEADER_LENGTH = 10;

/** The `version` field every v1 message carries. */
export const WIRE_VERSION = 1;

/** Largest body a decoder accepts unless configured otherwise (16 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Largest message id: ids are u32 and wrap around. */
export const MAX_MESSAGE_ID = 0xffff_ffff;

/** Frame types. Types with the high bit set are replies. */
export const FrameType = {
  /** Liveness probe, answered with HeartbeatReply. */
  Heartbeat: 0x01,
  /** A request: verb, noun, body. Answered with EventReply. */
  Event: 0x02,
  /** This implementation only (sent to peers that list "goaway"): the sender is draining. */
  GoAway: 0x03,
  /**
   * Stream frames: only between peers that listed "stream". Keyed by the
   * message id of the Event they belong to; the Reply flag says the sender
   * answers that Event (reply body, credit for a request body, a handler's
   * reset), its absence that the sender sent it (request body, credit for a
   * reply body, a caller's reset).
   */
  /** A chunk of a body (raw bytes, at most MAX_DATA_CHUNK), End flag on the last one. */
  Data: 0x04,
  /** StreamCredit: the receiver may send more body bytes (message id 0: the connection's window). */
  Credit: 0x05,
  /** StreamReset: the exchange ends early; nothing more is sent for that id. */
  Reset: 0x06,
  /** Answer to a Heartbeat, same message id. */
  HeartbeatReply: 0x80,
  /** Answer to an Event, same message id. */
  EventReply: 0x81,
} as const;

/** One of the frame type numbers above. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Header flag bits. */
export const FrameFlag = {
  /** This frame answers a frame the receiver sent. */
  Reply: 0x01,
  /** Data frames only: the last chunk of its body. */
  End: 0x02,
} as const;

/** Largest body of one Data frame (64 KiB): streams interleave at this grain. */
export const MAX_DATA_CHUNK = 64 * 1024;

/** True for the stream frame types (Data, Credit, Reset), whose Reply flag says the direction. */
export function isStreamType(type: FrameType): boolean {
  return type === FrameType.Data || type === FrameType.Credit || type === FrameType.Reset;
}

const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

/** True when `type` is a frame type this implementation understands. */
export function isKnownFrameType(type: number): type is FrameType {
  return KNOWN_TYPES.has(type);
}

/** True for the reply frame types (HeartbeatReply, EventReply). */
export function isReplyType(type: FrameType): boolean {
  return type === FrameType.HeartbeatReply || type === FrameType.EventReply;
}

/**
 * Return codes carried in EventReply.code and the X-Event-Return-Code header.
 * 250-255 are reserved for RestPipe itself; handlers use the others.
 */
export const ReplyCode = {
  /** The handler ran and returned data. */
  Ok: 0,
  /** This implementation only: the receiver is draining or at its in-flight limit; retry later. */
  Unavailable: 250,
  /** This implementation only: the event was malformed (bad argument encoding, invalid JSON body). */
  BadRequest: 252,
  /** The handler threw; the data is `{"exception": {"message", "class"}}`. */
  HandlerError: 251,
  /** Front only (never on the wire): no reply within the request deadline. */
  Timeout: 253,
  /** Front only (never on the wire): the pipe was lost before the reply. */
  PipeLost: 254,
  /** No handler exists for the verb and noun. */
  NoHandler: 255,
} as const;

/** Capability names exchanged in Heartbeat / HeartbeatReply. */
export const Capability = {
  /** The peer understands GoAway frames. */
  GoAway: "goaway",
  /** The peer reads Event.query and Event.deadline_ms. */
  EventExtensions: "event-ext",
  /** The peer understands stream frames and body_stream (streamed bodies with credit). */
  Stream: "stream",
  /** The peer reads Event.caller/traceparent/tracestate and EventReply.denied_by_rule (policy and trace context). */
  CallerContext: "caller-ctx",
  /** The sender's connection runs through a relay (an HTTP proxy) that may hold back part of a large TLS record: send it small ones. */
  SmallRecords: "small-records",
  /** The peer reads Event.head and sends and reads EventReply.http_status/head (HTTP semantics: ranges, conditional requests, HEAD, the file share). */
  ReplyHead: "reply-head",
  /** An rp-server of a fleet: it reads and sends Event.fleet_* and EventReply.fleet_refusal (forwarding between servers). */
  Fleet: "fleet",
} as const;
