/**
 * Fuzzed frames against the decoder: random bytes, mutated reference frames,
 * lying length fields, unknown types, under any chunking. The decoder must
 * yield frames or throw a WireError, the same whatever the chunking, judge
 * a header as soon as it is complete, and never buffer a body over its limit.
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  decodeMessage,
  FrameDecoder,
  FrameTooLargeError,
  HEADER_LENGTH,
  MalformedMessageError,
  TruncatedFrameError,
  UnknownFrameTypeError,
  WireError,
} from "../../src/wire/index.ts";
import { concat, frameArb, FUZZ_TEST_TIMEOUT_MS, FuzzTally, mutatedStreamArb, splitAt, splitsArb, unknownTypeArb } from "../support/index.ts";

const tally = new FuzzTally("decoder");
afterAll(() => tally.report());

interface Outcome {
  readonly frames: string[];
  readonly error: string | undefined;
}

/** Feeds `pieces` to a fresh decoder, then ends the stream; every frame's body is decoded too. */
function feed(pieces: readonly Uint8Array[], maxFrameBytes: number): Outcome {
  const decoder = new FrameDecoder({ maxFrameBytes });
  const frames: string[] = [];
  try {
    for (const piece of pieces) {
      for (const frame of decoder.push(piece)) {
        expect(frame.body.length).toBeLessThanOrEqual(maxFrameBytes);
        frames.push(`${frame.type}/${frame.flags}/${frame.id}/${describeBody(frame)}`);
      }
    }
    decoder.end();
    return { frames, error: undefined };
  } catch (error) {
    if (!(error instanceof WireError)) throw error; // anything else is a decoder bug
    expect(() => [...decoder.push(new Uint8Array(1))]).toThrow(error); // a failed decoder stays failed
    return { frames, error: `${error.name}: ${error.message}` };
  }
}

function describeBody(frame: Parameters<typeof decodeMessage>[0]): string {
  try {
    return JSON.stringify(decodeMessage(frame), (_key, value: unknown) => (value instanceof Uint8Array ? [...value] : value));
  } catch (error) {
    if (!(error instanceof MalformedMessageError)) throw error;
    return `malformed: ${error.message}`;
  }
}

const maxArb = fc.oneof(fc.integer({ min: 0, max: 96 }), fc.constant(16 * 1024 * 1024));

describe("decoder under hostile input", () => {
  test("random bytes: frames or a WireError, the same under any chunking", () => {
    tally.check(
      fc.property(fc.uint8Array({ maxLength: 96 }), splitsArb(), maxArb, (bytes, cuts, max) => {
        expect(feed(splitAt(bytes, cuts), max)).toEqual(feed([bytes], max));
      }),
      25_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("mutated reference and generated frames: frames or a WireError, the same under any chunking", () => {
    tally.check(
      fc.property(mutatedStreamArb, splitsArb(), maxArb, (bytes, cuts, max) => {
        expect(feed(splitAt(bytes, cuts), max)).toEqual(feed([bytes], max));
      }),
      25_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("a lying length field: over the limit is refused from the header alone; longer than the data is truncated", () => {
    tally.check(
      fc.property(frameArb, fc.oneof(fc.nat({ max: 512 }), fc.nat({ max: 0xffff_ffff })), fc.integer({ min: 0, max: 256 }), (frame, length, max) => {
        const bytes = frame.bytes.slice();
        new DataView(bytes.buffer).setUint32(2, length);
        const decoder = new FrameDecoder({ maxFrameBytes: max });
        for (let i = 0; i < HEADER_LENGTH - 1; i++) expect([...decoder.push(bytes.subarray(i, i + 1))]).toEqual([]);
        const header = () => [...decoder.push(bytes.subarray(HEADER_LENGTH - 1, HEADER_LENGTH))];
        if (length > max) {
          expect(header).toThrow(new FrameTooLargeError(length, max));
          expect(decoder.bufferedBytes).toBe(0);
          return;
        }
        expect(header()).toEqual(length === 0 ? [expect.objectContaining({ id: frame.id })] : []);
        const body = bytes.length - HEADER_LENGTH;
        const frames = [...decoder.push(bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + Math.min(length, body)))];
        if (length > body) {
          expect(frames).toEqual([]);
          expect(() => decoder.end()).toThrow(new TruncatedFrameError(HEADER_LENGTH + body, HEADER_LENGTH + length));
        } else if (length > 0) {
          expect(frames.map((f) => [f.id, f.body.length])).toEqual([[frame.id, length]]);
        }
      }),
      15_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("an unknown frame type is refused with its number as soon as the header is complete", () => {
    tally.check(
      fc.property(frameArb, unknownTypeArb, (frame, type) => {
        const bytes = frame.bytes.slice();
        bytes[0] = type;
        const decoder = new FrameDecoder();
        expect([...decoder.push(bytes.subarray(0, HEADER_LENGTH - 1))]).toEqual([]);
        expect(() => [...decoder.push(bytes.subarray(HEADER_LENGTH - 1))]).toThrow(new UnknownFrameTypeError(type));
        expect(new UnknownFrameTypeError(type).message).toBe(`Cannot decode frame: unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
      }),
      10_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("valid frames round-trip under any chunking", () => {
    tally.check(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), splitsArb(12), (frames, cuts) => {
        const decoder = new FrameDecoder();
        const decoded = splitAt(concat(frames.map((f) => f.bytes)), cuts).flatMap((piece) => [...decoder.push(piece)]);
        decoder.end();
        expect(decoded.map((f) => [f.id, decodeMessage(f)])).toEqual(frames.map((f) => [f.id, f.message]));
      }),
      15_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);
});
