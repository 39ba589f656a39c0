import { describe, expect, test } from "bun:test";
import {
  decodeMessage,
  encodeFrame,
  FrameDecoder,
  FrameFlagsError,
  FrameTooLargeError,
  FrameType,
  HEADER_LENGTH,
  MalformedMessageError,
  TruncatedFrameError,
  UnknownFrameTypeError,
  WireError,
  type Frame,
} from "../../../src/wire/index.ts";
import { fromHex, VECTOR_CASES } from "../../support/index.ts";

function header(type: number, flags: number, length: number, id = 7): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint8(0, type);
  view.setUint8(1, flags);
  view.setUint32(2, length);
  view.setUint32(6, id);
  return out;
}

function pushAll(decoder: FrameDecoder, chunk: Uint8Array): Frame[] {
  return [...decoder.push(chunk)];
}

describe("FrameDecoder errors", () => {
  test("a declared length over the maximum is rejected from the header alone", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    const error = (() => {
      try {
        pushAll(decoder, header(FrameType.Event, 0, 1025));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as Error).message).toBe("Cannot accept frame: body length 1025 exceeds the maximum of 1024 bytes");
    expect(decoder.bufferedBytes).toBe(0); // nothing of the body was kept
  });

  test("a length exactly at the maximum is accepted", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 4 });
    const frames = pushAll(decoder, encodeFrame(FrameType.Event, 1, Uint8Array.of(1, 2, 3, 4)));
    expect(frames.map((f) => f.body.length)).toEqual([4]);
  });

  test("the default maximum is 16 MiB", () => {
    const decoder = new FrameDecoder();
    expect(() => pushAll(decoder, header(FrameType.EventReply, 1, 16 * 1024 * 1024 + 1))).toThrow(FrameTooLargeError);
    expect(() => pushAll(new FrameDecoder(), header(FrameType.EventReply, 1, 16 * 1024 * 1024))).not.toThrow();
  });

  test("an unknown type is rejected with its number", () => {
    expect(() => pushAll(new FrameDecoder(), header(0x42, 0, 0))).toThrow(
      new UnknownFrameTypeError(0x42),
    );
    expect(() => pushAll(new FrameDecoder(), header(0x42, 0, 0))).toThrow("Cannot decode frame: unknown frame type 0x42");
  });

  test("a reply type without the reply flag, and an event with it, are rejected", () => {
    expect(() => pushAll(new FrameDecoder(), header(FrameType.EventReply, 0, 0))).toThrow(FrameFlagsError);
    expect(() => pushAll(new FrameDecoder(), header(FrameType.Event, 1, 0))).toThrow(
      "Cannot decode frame: flags 0x01 do not match frame type 0x02",
    );
  });

  test("frames before a bad header are still delivered", () => {
    const good = fromHex(VECTOR_CASES[0]!.hex);
    const stream = new Uint8Array([...good, ...header(0x99, 0, 0)]);
    const decoder = new FrameDecoder();
    const seen: Frame[] = [];
    expect(() => {
      for (const frame of decoder.push(stream)) seen.push(frame);
    }).toThrow(UnknownFrameTypeError);
    expect(seen).toHaveLength(1);
  });

  test("a failed decoder stays failed", () => {
    const decoder = new FrameDecoder();
    expect(() => pushAll(decoder, header(0x99, 0, 0))).toThrow(UnknownFrameTypeError);
    expect(() => pushAll(decoder, fromHex(VECTOR_CASES[0]!.hex))).toThrow(UnknownFrameTypeError);
  });

  test("truncated input: end() inside a body or a header", () => {
    const frame = fromHex(VECTOR_CASES[2]!.hex);
    const inBody = new FrameDecoder();
    expect(pushAll(inBody, frame.subarray(0, frame.length - 1))).toEqual([]);
    expect(() => inBody.end()).toThrow(new TruncatedFrameError(frame.length - 1, frame.length));
    expect(() => inBody.end()).not.toThrow(); // reported once; the decoder is failed now

    const inHeader = new FrameDecoder();
    pushAll(inHeader, frame.subarray(0, 3));
    expect(() => inHeader.end()).toThrow("Cannot decode frame: stream ended after 3 of 10 bytes");
  });

  test("end() after whole frames is fine", () => {
    const decoder = new FrameDecoder();
    pushAll(decoder, fromHex(VECTOR_CASES[0]!.hex));
    expect(() => decoder.end()).not.toThrow();
  });

  test("garbage bodies give MalformedMessageError", () => {
    const [frame] = pushAll(new FrameDecoder(), encodeFrame(FrameType.Event, 9, Uint8Array.of(0xff, 0xff, 0xff)));
    expect(() => decodeMessage(frame!)).toThrow(MalformedMessageError);
    expect(() => decodeMessage(frame!)).toThrow(/^Cannot decode Event 9: /);
  });

  test("an Event without verb or noun, or a reply without code, is malformed", () => {
    const noNoun = encodeFrame(FrameType.Event, 3, fromHex("08011203676574")); // version=1, verb="get"
    const [frame] = pushAll(new FrameDecoder(), noNoun);
    expect(() => decodeMessage(frame!)).toThrow("Cannot accept Event 3: noun is missing");
    const [reply] = pushAll(new FrameDecoder(), encodeFrame(FrameType.EventReply, 4, fromHex("0801")));
    expect(() => decodeMessage(reply!)).toThrow("Cannot accept EventReply 4: code is missing");
  });

  test("every wire error is a WireError", () => {
    for (const error of [
      new FrameTooLargeError(2, 1),
      new UnknownFrameTypeError(9),
      new FrameFlagsError(1, 1),
      new TruncatedFrameError(1, 2),
      new MalformedMessageError("x"),
    ]) {
      expect(error).toBeInstanceOf(WireError);
    }
  });

  test("a large body in many chunks is assembled once and intact", () => {
    const body = new Uint8Array(4 * 1024 * 1024).map((_, i) => i * 31);
    const frame = encodeFrame(FrameType.EventReply, 5, body);
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let at = 0; at < frame.length; at += 65_536) frames.push(...decoder.push(frame.subarray(at, at + 65_536)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.body).toEqual(body);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("a long stream of small chunks does not grow the decoder", () => {
    const frame = fromHex(VECTOR_CASES[2]!.hex);
    const decoder = new FrameDecoder();
    let count = 0;
    for (let i = 0; i < 20_000; i++) {
      // Feed 1.5 frames then 0.5 frames, so that a partial frame is always pending across chunks.
      const half = frame.length >> 1;
      count += pushAll(decoder, new Uint8Array([...frame, ...frame.subarray(0, half)])).length;
      count += pushAll(decoder, frame.subarray(half)).length;
    }
    expect(count).toBe(40_000);
    expect(decoder.bufferedBytes).toBe(0);
  });
});
