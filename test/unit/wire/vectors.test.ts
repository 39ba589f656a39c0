import { describe, expect, test } from "bun:test";
import {
  decodeMessage,
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  type Frame,
  type FrameType,
  type Message,
} from "../../../src/wire/index.ts";
import { fromHex, messageFields, randomSplits, seededRandom } from "../../support/index.ts";
import { STREAM_HEX, toHex, VECTOR_CASES } from "../../support/vectors.ts";

function decodeAll(pieces: Iterable<Uint8Array>): Frame[] {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const piece of pieces) frames.push(...decoder.push(piece));
  decoder.end();
  return frames;
}

/** The reference frames of wire-v1.json: a heartbeat and its reply, 4 events, 3 event replies. */
const REFERENCE_FRAMES = 9;

describe("wire v1 reference vectors", () => {
  const encoded = new Set<string>();
  const decodedNames = new Set<string>();

  test(`the fixture holds all ${REFERENCE_FRAMES} reference frames, each of the four messages at least once`, () => {
    expect(VECTOR_CASES).toHaveLength(REFERENCE_FRAMES);
    expect(new Set(VECTOR_CASES.map((c) => c.name)).size).toBe(REFERENCE_FRAMES);
    expect(new Set(VECTOR_CASES.map((c) => c.message))).toEqual(new Set(["Heartbeat", "HeartbeatReply", "Event", "EventReply"]));
  });

  for (const c of VECTOR_CASES) {
    test(`${c.name} encodes to exactly its hex`, () => {
      encoded.add(c.name);
      const message = { type: c.type, message: messageFields(c) } as unknown as Message;
      expect(toHex(encodeFrame(c.type as FrameType, c.message_id, encodeMessage(message)))).toBe(c.hex);
    });

    test(`${c.name} decodes to exactly its fields`, () => {
      decodedNames.add(c.name);
      const [frame, ...rest] = decodeAll([fromHex(c.hex)]);
      expect(rest).toHaveLength(0);
      expect(frame!.type).toBe(c.type as FrameType);
      expect(frame!.flags).toBe(c.flags);
      expect(frame!.id).toBe(c.message_id);
      const decoded = decodeMessage(frame!);
      expect({ ...decoded.message }).toEqual(messageFields(c));
    });
  }

  test(`all ${REFERENCE_FRAMES} reference frames were checked both ways`, () => {
    expect({ encoded: encoded.size, decoded: decodedNames.size }).toEqual({ encoded: REFERENCE_FRAMES, decoded: REFERENCE_FRAMES });
  });

  const stream = fromHex(STREAM_HEX);
  const expected = VECTOR_CASES.map((c) => c.hex);
  const hexes = (frames: Frame[]) => frames.map((f) => toHex(encodeFrame(f.type, f.id, f.body)));

  test("stream_hex decodes fed whole", () => {
    expect(expected).toHaveLength(REFERENCE_FRAMES);
    expect(hexes(decodeAll([stream]))).toEqual(expected);
  });

  test("stream_hex decodes fed byte by byte", () => {
    const bytes = Array.from(stream, (b) => Uint8Array.of(b));
    expect(hexes(decodeAll(bytes))).toEqual(expected);
  });

  test("stream_hex decodes under 500 random splits", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const pieces = randomSplits(stream, seededRandom(seed), 1 + (seed % 40));
      expect({ seed, frames: hexes(decodeAll(pieces)) }).toEqual({ seed, frames: expected });
    }
  });

  test("a frame split at every single offset decodes the same", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect({ cut, frames: hexes(decodeAll([stream.subarray(0, cut), stream.subarray(cut)])) }).toEqual({ cut, frames: expected });
    }
  });
});
