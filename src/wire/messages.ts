/**
 * Frame bodies: the v1 protobuf messages, encoded and decoded by hand (Event
 * and EventReply, on every request's path, by the fast codec; the rest, and
 * whatever body the fast codec declines, by the general codec), exactly as
 * the generated protobuf-ts code does: that code is the tests' oracle and is
 * not loaded by a serving node. Validated on decode (proto2 `required` is not
 * enforced by the codec, and original peers omit fields freely).
 */
import type { Event, EventReply, GoAway, Heartbeat, HeartbeatReply, StreamCredit, StreamReset } from "./gen/restpipe.ts";
import { FrameType } from "./constants.ts";
import { decodeEvent, decodeEventReply, encodeEvent, encodeEventReply } from "./_fast-codec.ts";
import { decodeGeneral, encodeFlat } from "./_general-codec.ts";
import { EVENT, EVENT_REPLY, GO_AWAY, HEARTBEAT, HEARTBEAT_REPLY, STREAM_CREDIT, STREAM_RESET, type Schema } from "./_schemas.ts";
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

/** Encodes the body of a frame of the given type. */
export function encodeMessage(message: Message): Uint8Array {
  switch (message.type) {
    case FrameType.Heartbeat:
      return encodeFlat(HEARTBEAT, message.message);
    case FrameType.HeartbeatReply:
      return encodeFlat(HEARTBEAT_REPLY, message.message);
    case FrameType.Event:
      return encodeEvent(message.message);
    case FrameType.EventReply:
      return encodeEventReply(message.message);
    case FrameType.GoAway:
      return encodeFlat(GO_AWAY, message.message);
    case FrameType.Data:
      return message.message.data;
    case FrameType.Credit:
      return encodeFlat(STREAM_CREDIT, message.message);
    case FrameType.Reset:
      return encodeFlat(STREAM_RESET, message.message);
  }
}

/** Decodes and validates a frame's body. Throws MalformedMessageError. */
export function decodeMessage(frame: Frame): Message {
  switch (frame.type) {
    case FrameType.Heartbeat:
      return { type: frame.type, message: parse<Heartbeat>(HEARTBEAT, frame) };
    case FrameType.HeartbeatReply:
      return { type: frame.type, message: parse<HeartbeatReply>(HEARTBEAT_REPLY, frame) };
    case FrameType.Event: {
      const event = decodeEvent(frame.body) ?? parse<Event>(EVENT, frame);
      if (event.verb === undefined || event.noun === undefined) {
        throw new MalformedMessageError(
          `Cannot accept Event ${frame.id}: ${event.verb === undefined ? "verb" : "noun"} is missing`,
        );
      }
      return { type: frame.type, message: event };
    }
    case FrameType.EventReply: {
      const reply = decodeEventReply(frame.body) ?? parse<EventReply>(EVENT_REPLY, frame);
      if (reply.code === undefined) throw new MalformedMessageError(`Cannot accept EventReply ${frame.id}: code is missing`);
      return { type: frame.type, message: reply };
    }
    case FrameType.GoAway:
      return { type: frame.type, message: parse<GoAway>(GO_AWAY, frame) };
    case FrameType.Data:
      return { type: frame.type, message: { data: frame.body } };
    case FrameType.Credit: {
      const credit = parse<StreamCredit>(STREAM_CREDIT, frame);
      if (credit.credit === undefined) throw new MalformedMessageError(`Cannot accept StreamCredit ${frame.id}: credit is missing`);
      return { type: frame.type, message: credit };
    }
    case FrameType.Reset:
      return { type: frame.type, message: parse<StreamReset>(STREAM_RESET, frame) };
  }
}

function parse<T>(schema: Schema, frame: Frame): T {
  try {
    return decodeGeneral(schema, frame.body) as T;
  } catch (cause) {
    throw new MalformedMessageError(`Cannot decode ${schema.name} ${frame.id}: ${(cause as Error).message}`, { cause });
  }
}
