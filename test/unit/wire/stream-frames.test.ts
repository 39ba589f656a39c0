/**
 * The stream frames (Data, Credit, Reset) and the stream fields of Event,
 * EventReply and Heartbeat: encode/decode under every chunking (whole, byte
 * by byte, random splits), their flag rules, and what is malformed.
 */
import { describe, expect, test } from "bun:test";
import {
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  FrameFlag,
  FrameFlagsError,
  FrameType,
  MalformedMessageError,
  MAX_DATA_CHUNK,
  type Message,
} from "../../../src/wire/index.ts";
import { randomSplits, seededRandom } from "../../support/index.ts";

interface Case {
  readonly name: string;
  readonly id: number;
  readonly flags?: number;
  readonly message: Message;
}

const chunk = Uint8Array.from({ length: MAX_DATA_CHUNK }, (_, i) => (i * 31) & 0xff);
const CASES: readonly Case[] = [
  { name: "Data, request body, not last", id: 7, flags: 0, message: { type: FrameType.Data, message: { data: chunk } } },
  { name: "Data, reply body, last", id: 7, flags: FrameFlag.Reply | FrameFlag.End, message: { type: FrameType.Data, message: { data: new Uint8Array([1, 2, 3]) } } },
  { name: "Data, empty end", id: 0xffff_ffff, flags: FrameFlag.End, message: { type: FrameType.Data, message: { data: new Uint8Array(0) } } },
  { name: "Credit for a reply body", id: 9, flags: 0, message: { type: FrameType.Credit, message: { version: 1, credit: 262_144 } } },
  { name: "Credit for the connection", id: 0, flags: 0, message: { type: FrameType.Credit, message: { version: 1, credit: 0xffff_ffff } } },
  { name: "Reset by the handler", id: 9, flags: FrameFlag.Reply, message: { type: FrameType.Reset, message: { version: 1, reason: "handler failed: é" } } },
  { name: "Event with a streamed body", id: 3, message: { type: FrameType.Event, message: { version: 1, verb: "post", noun: "up", mimetype: "", data: new Uint8Array(0), bodyStream: true, bodyLength: 2 ** 40 } } },
  { name: "EventReply with a streamed body", id: 3, message: { type: FrameType.EventReply, message: { version: 1, mimetype: "application/octet-stream", code: 0, bodyStream: true, bodyLength: 1_073_741_824 } } },
  { name: "Heartbeat with a frame limit", id: 1, message: { type: FrameType.Heartbeat, message: { version: 1, capabilities: ["goaway", "event-ext", "stream"], maxFrameBytes: 16_842_752 } } },
  { name: "HeartbeatReply with a frame limit", id: 1, message: { type: FrameType.HeartbeatReply, message: { version: 1, capabilities: ["stream"], maxFrameBytes: 1 } } },
];

const frames = CASES.map((c) => encodeFrame(c.message.type, c.id, encodeMessage(c.message), c.flags));
const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
frames.reduce((at, f) => (stream.set(f, at), at + f.length), 0);

function decodeAll(pieces: readonly Uint8Array[]) {
  const decoder = new FrameDecoder();
  const out = pieces.flatMap((piece) => [...decoder.push(piece)]);
  decoder.end();
  return out.map((frame) => ({ id: frame.id, flags: frame.flags, message: decodeMessage(frame) }));
}

const expected = CASES.map((c, i) => ({ id: c.id, flags: frames[i]![1]!, message: c.message }));

describe("stream frames under every chunking", () => {
  test("whole", () => {
    expect(decodeAll([stream])).toEqual(expected);
  });

  test("byte by byte", () => {
    expect(decodeAll(Array.from(stream, (_, i) => stream.subarray(i, i + 1)))).toEqual(expected);
  });

  test("200 random splits", () => {
    const random = seededRandom(15);
    for (let run = 0; run < 200; run++) expect(decodeAll(randomSplits(stream, random, 1 + Math.floor(random() * 9000)))).toEqual(expected);
  });

  test("each case alone, frame by frame", () => {
    CASES.forEach((_, i) => expect(decodeAll([frames[i]!])).toEqual([expected[i]!]));
  });
});

describe("stream frame rules", () => {
  test("the Reply flag is allowed either way on stream frames; End only on Data; no other bit", () => {
    const data = (flags: number) => encodeFrame(FrameType.Data, 1, new Uint8Array([1]), flags);
    for (const flags of [0, 1, 2, 3]) expect(decodeAll([data(flags)])[0]!.flags).toBe(flags);
    expect(() => decodeAll([data(0x04)])).toThrow(new FrameFlagsError(FrameType.Data, 0x04));
    const credit = encodeFrame(FrameType.Credit, 1, encodeMessage({ type: FrameType.Credit, message: { version: 1, credit: 1 } }), FrameFlag.End);
    expect(() => decodeAll([credit])).toThrow(new FrameFlagsError(FrameType.Credit, FrameFlag.End));
    const reset = encodeFrame(FrameType.Reset, 1, new Uint8Array(0), FrameFlag.Reply | FrameFlag.End);
    expect(() => decodeAll([reset])).toThrow(new FrameFlagsError(FrameType.Reset, 3));
  });

  test("a Credit without its credit is malformed; a Reset may omit its reason", () => {
    const credit = encodeFrame(FrameType.Credit, 4, new Uint8Array([0x08, 0x01]));
    expect(() => decodeAll([credit])).toThrow(new MalformedMessageError("Cannot accept StreamCredit 4: credit is missing"));
    expect(decodeAll([encodeFrame(FrameType.Reset, 4, new Uint8Array(0))])[0]!.message).toEqual({ type: FrameType.Reset, message: {} });
  });

  test("a garbage Credit or Reset body is malformed, not a crash", () => {
    expect(() => decodeAll([encodeFrame(FrameType.Credit, 4, new Uint8Array([0x10, 0xff]))])).toThrow(MalformedMessageError);
    expect(() => decodeAll([encodeFrame(FrameType.Reset, 4, new Uint8Array([0x12, 0x05, 0x61]))])).toThrow(MalformedMessageError);
  });
});
