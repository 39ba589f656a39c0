/**
 * Frame bodies: the v1 protobuf messages, encoded with the generated
 * protobuf-ts code (Event and EventReply, on every request's path, with the
 * hand-written codec that reproduces it) and validated on decode (protobuf-ts
 * does not enforce proto2 `required`, and original peers omit fields freely).
 */
import { Event, EventReply, GoAway, Heartbeat, HeartbeatReply, StreamCredit, StreamReset } from "./gen/restpipe.ts";
import { FrameType } from "./constants.ts";
import { decodeEvent, decodeEventReply, encodeEvent, encodeEventReply } from "./_fast-codec.ts";
import { MalformedMessageError } from "./errors.ts";
import type { Frame } from "./frame.ts";

export type { Event, EventReply, GoAway, Heartbeat, HeartbeatReply, HttpHead, HttpHeader, StreamCredit, StreamReset } from "./gen/restpipe.ts";

/** The body of a Data frame: raw bytes, not protobuf (a chunk is copied nowhere on its way). */
export interface StreamData {
  readonly data: Uint8Array;
}

/** A decoded frame body, tagged with its frame type. */
export type Message =
  | { readonly type: typeof FrameType.Heartbeat; readonly message: Heartbeat }
  | { readonly type: typeof FrameType.HeartbeatReply; readonly message: HeartbeatReply }
  | { readonly type: typeof FrameType.Event; readonly message: Event }
  | { readonly type: typeof FrameType.EventReply; readonly message: EventReply }
  | { readonly type: typeof FrameType.GoAway; readonly message: GoAway }
  | { readonly type: typeof FrameType.Data; readonly message: StreamData }
  | { readonly type: typeof FrameType.Credit; readonly message: StreamCredit }
  | { readonly type: typeof FrameType.Reset; readonly message: StreamReset };

const READ = { readUnknownField: false } as const;
const WRITE = { writeUnknownFields: false } as const;

/** Encodes the body of a frame of the given type. */
export function encodeMessage(message: Message): Uint8Array {
  switch (message.type) {
    case FrameType.Heartbeat:
      return Heartbeat.toBinary(message.message, WRITE);
    case FrameType.HeartbeatReply:
      return HeartbeatReply.toBinary(message.message, WRITE);
    case FrameType.Event:
      return encodeEvent(message.message);
    case FrameType.EventReply:
      return encodeEventReply(message.message);
    case FrameType.GoAway:
      return GoAway.toBinary(message.message, WRITE);
    case FrameType.Data:
      return message.message.data;
    case FrameType.Credit:
      return StreamCredit.toBinary(message.message, WRITE);
    case FrameType.Reset:
      return StreamReset.toBinary(message.message, WRITE);
  }
}

/** Decodes and validates a frame's body. Throws MalformedMessageError. */
export function decodeMessage(frame: Frame): Message {
  switch (frame.type) {
    case FrameType.Heartbeat:
      return { type: frame.type, message: parse(Heartbeat, frame) };
    case FrameType.HeartbeatReply:
      return { type: frame.type, message: parse(HeartbeatReply, frame) };
    case FrameType.Event: {
      const event = decodeEvent(frame.body) ?? parse(Event, frame);
      if (event.verb === undefined || event.noun === undefined) {
        throw new MalformedMessageError(
          `Cannot accept Event ${frame.id}: ${event.verb === undefined ? "verb" : "noun"} is missing`,
        );
      }
      return { type: frame.type, message: event };
    }
    case FrameType.EventReply: {
      const reply = decodeEventReply(frame.body) ?? parse(EventReply, frame);
      if (reply.code === undefined) throw new MalformedMessageError(`Cannot accept EventReply ${frame.id}: code is missing`);
      return { type: frame.type, message: reply };
    }
    case FrameType.GoAway:
      return { type: frame.type, message: parse(GoAway, frame) };
    case FrameType.Data:
      return { type: frame.type, message: { data: frame.body } };
    case FrameType.Credit: {
      const credit = parse(StreamCredit, frame);
      if (credit.credit === undefined) throw new MalformedMessageError(`Cannot accept StreamCredit ${frame.id}: credit is missing`);
      return { type: frame.type, message: credit };
    }
    case FrameType.Reset:
      return { type: frame.type, message: parse(StreamReset, frame) };
  }
}

interface Codec<T> {
  readonly typeName: string;
  fromBinary(bytes: Uint8Array, options?: typeof READ): T;
}

function parse<T>(codec: Codec<T>, frame: Frame): T {
  try {
    return codec.fromBinary(frame.body, READ);
  } catch (cause) {
    throw new MalformedMessageError(
      `Cannot decode ${codec.typeName.replace("restpipe.v1.", "")} ${frame.id}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
