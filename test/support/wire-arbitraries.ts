/** fast-check generators of wire input: valid messages and frames, and the ways a hostile peer bends them. */
import fc from "fast-check";
import {
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  FrameFlag,
  FrameType,
  isKnownFrameType,
  isStreamType,
  MAX_DATA_CHUNK,
  WireError,
  type Message,
} from "../../src/wire/index.ts";
import { fromHex, VECTOR_CASES } from "./vectors.ts";

const u32 = fc.nat({ max: 0xffff_ffff });
const text = fc.string({ maxLength: 24, unit: "grapheme-composite" });
const bytes = fc.uint8Array({ maxLength: 64 });
const u53 = fc.oneof(fc.nat(), fc.maxSafeNat());
/** The stream extensions of Event and EventReply, each field present or not. */
const streamFields = fc.record({ bodyStream: fc.option(fc.boolean(), { nil: undefined }), bodyLength: fc.option(u53, { nil: undefined }) }).map((f) => ({
  ...(f.bodyStream === undefined ? {} : { bodyStream: f.bodyStream }),
  ...(f.bodyLength === undefined ? {} : { bodyLength: f.bodyLength }),
}));
/** The HTTP head of Event (32) and EventReply (33): absent, or 0-3 headers each with or without name and value. */
const header = fc.record({ name: text, value: text }, { requiredKeys: [] });
const headField = fc.option(fc.array(header, { maxLength: 3 }), { nil: undefined }).map((headers) => (headers === undefined ? {} : { head: { headers } }));
const statusField = fc.option(u32, { nil: undefined }).map((httpStatus) => (httpStatus === undefined ? {} : { httpStatus }));
const maxFrame = fc.option(u32, { nil: undefined }).map((m) => (m === undefined ? {} : { maxFrameBytes: m }));

/** Any valid v1 (or extended) message, with version 1. */
export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc
    .record({ verb: text, noun: text, mimetype: text, data: bytes, query: fc.option(text, { nil: undefined }), deadlineMs: fc.option(u32, { nil: undefined }), stream: streamFields, head: headField })
    .map(
      ({ query, deadlineMs, stream, head, ...event }): Message => ({
        type: FrameType.Event,
        message: { version: 1, ...event, ...(query === undefined ? {} : { query }), ...(deadlineMs === undefined ? {} : { deadlineMs }), ...stream, ...head },
      }),
    ),
  fc
    .record({ mimetype: text, code: u32, data: bytes, stream: streamFields, status: statusField, head: headField })
    .map(({ stream, status, head, ...reply }): Message => ({ type: FrameType.EventReply, message: { version: 1, ...reply, ...stream, ...status, ...head } })),
  fc.tuple(fc.array(text, { maxLength: 3 }), maxFrame).map(([capabilities, max]): Message => ({ type: FrameType.Heartbeat, message: { version: 1, capabilities, ...max } })),
  fc.tuple(fc.array(text, { maxLength: 3 }), maxFrame).map(([capabilities, max]): Message => ({ type: FrameType.HeartbeatReply, message: { version: 1, capabilities, ...max } })),
  fc.record({ retryAfterMs: u32, reason: text }).map((goAway): Message => ({ type: FrameType.GoAway, message: { version: 1, ...goAway } })),
  fc.oneof({ arbitrary: bytes, weight: 20 }, { arbitrary: fc.uint8Array({ minLength: MAX_DATA_CHUNK - 2, maxLength: MAX_DATA_CHUNK }), weight: 1 }).map((data): Message => ({ type: FrameType.Data, message: { data } })),
  u32.map((credit): Message => ({ type: FrameType.Credit, message: { version: 1, credit } })),
  text.map((reason): Message => ({ type: FrameType.Reset, message: { version: 1, reason } })),
);

/** A valid message with its id (and, for stream frames, a direction and End flag), encoded as one frame. */
export const frameArb = fc.record({ message: messageArb, id: u32, reply: fc.boolean(), end: fc.boolean() }).map(({ message, id, reply, end }) => {
  const flags = !isStreamType(message.type) ? undefined : (reply ? FrameFlag.Reply : 0) | (end && message.type === FrameType.Data ? FrameFlag.End : 0);
  return { message, id, flags, bytes: encodeFrame(message.type, id, encodeMessage(message), flags) };
});

/** The reference frames of the wire vectors. */
export const REFERENCE_FRAMES: readonly Uint8Array[] = VECTOR_CASES.map((c) => fromHex(c.hex));

/** One edit of a byte string. */
type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly xor: number }
  | { readonly kind: "cut"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly count: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

function mutate(input: Uint8Array, mutation: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : mutation.at % input.length;
  switch (mutation.kind) {
    case "flip": {
      const out = input.slice();
      if (out.length > 0) out[at] = out[at]! ^ mutation.xor;
      return out;
    }
    case "cut":
      return input.slice(0, at);
    case "insert":
      return new Uint8Array([...input.subarray(0, at), ...mutation.bytes, ...input.subarray(at)]);
    case "delete":
      return new Uint8Array([...input.subarray(0, at), ...input.subarray(at + mutation.count)]);
  }
}

/** A stream of reference and generated frames, then one to four edits anywhere in it. */
export const mutatedStreamArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...REFERENCE_FRAMES), frameArb.map((f) => f.bytes)), { minLength: 1, maxLength: 4 }),
    fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
  )
  .map(([frames, mutations]) => mutations.reduce(mutate, concat(frames)));

/** A frame type byte this implementation does not know. */
export const unknownTypeArb = fc.integer({ min: 0, max: 255 }).filter((type) => !isKnownFrameType(type));

/** Cut points for feeding `length` bytes in pieces: sorted offsets inside (0, length). */
export function splitsArb(maxCuts = 6): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: maxCuts });
}

/** `bytes` cut at the given fractions of its length. */
export function splitAt(bytes: Uint8Array, fractions: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) pieces.push(bytes.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return pieces;
}

/** Byte strings joined. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** What a pipe must make of `bytes`: the first protocol error in them, if any (the decoder and the message checks as oracle). */
export function firstProtocolError(bytes: Uint8Array, maxFrameBytes = 16 * 1024 * 1024): WireError | undefined {
  const decoder = new FrameDecoder({ maxFrameBytes });
  try {
    for (const frame of decoder.push(bytes)) decodeMessage(frame);
  } catch (error) {
    if (error instanceof WireError) return error;
    throw error;
  }
  return undefined;
}
