/**
 * Fuzzed frames against a live pipe (in-memory transport): a hostile peer
 * sends garbage, mutated frames, replies to unknown ids, replies of the wrong
 * type, oversized headers, or a valid header and then closes. The pipe under
 * attack closes exactly when its input is not valid v1, with the reason
 * logged; replies that match nothing are dropped and counted; a bystander
 * pipe keeps working through it all.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Pipe, PipeClosedError, type InboundHandler } from "../../src/pipe/index.ts";
import {
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  FrameTooLargeError,
  FrameType,
  HEADER_LENGTH,
  TruncatedFrameError,
  type EventReply,
} from "../../src/wire/index.ts";
import {
  firstProtocolError,
  frameArb,
  FUZZ_TEST_TIMEOUT_MS,
  FuzzTally,
  memoryPair,
  mutatedStreamArb,
  recordingLogger,
  settle,
  type LogEntry,
} from "../support/index.ts";
import { fromHex, STREAM_HEX } from "../support/vectors.ts";
import { validV1Prefix } from "../support/wire-model.ts";

const tally = new FuzzTally("pipe (in-memory)");
const text = new TextEncoder();
const untext = new TextDecoder();
const quiet = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 } as const;
const echo: InboundHandler = (event) => ({ mimetype: "text/plain", code: 0, data: text.encode(`${event.verb} ${event.noun}`) });

// A bystander pair that must keep working whatever the victims receive.
let bystander: { a: Pipe; b: Pipe };
beforeAll(() => {
  const [ta, tb] = memoryPair();
  bystander = {
    a: new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, onEvent: echo, ...quiet }),
    b: new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, onEvent: echo, ...quiet }),
  };
});
afterAll(() => {
  bystander.a.close();
  bystander.b.close();
  tally.report();
});

async function bystanderWorks(tag: number): Promise<void> {
  const reply = await bystander.a.request({ verb: "get", noun: `still/${tag}` });
  expect(untext.decode(reply.data)).toBe(`get still/${tag}`);
}

/** A pipe under test and the raw peer that attacks it; `sent` holds the frames the pipe wrote. */
function victim(maxFrameBytes?: number) {
  const [ta, tb] = memoryPair();
  const { log, records } = recordingLogger();
  const pipe = new Pipe(ta, {
    peer: { name: "raw", remoteAddress: "memory:raw" },
    onEvent: echo,
    log,
    ...quiet,
    ...(maxFrameBytes === undefined ? {} : { maxFrameBytes }),
  });
  const decoder = new FrameDecoder();
  const sent: Array<{ type: number; id: number }> = [];
  let peerClosed = false;
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) sent.push({ type: frame.type, id: frame.id });
    },
    drain: () => {},
    closed: () => (peerClosed = true),
  });
  return { pipe, records, sent, peer: tb, isPeerClosed: () => peerClosed };
}

function protocolErrorLogs(records: readonly LogEntry[]): unknown[] {
  return records.filter((r) => r.msg === "closing pipe: protocol error from peer").map((r) => r.fields);
}

function replyFrame(id: number, data: string): Uint8Array {
  const reply: EventReply = { version: 1, mimetype: "text/plain", code: 0, data: text.encode(data) };
  return encodeFrame(FrameType.EventReply, id, encodeMessage({ type: FrameType.EventReply, message: reply }));
}

describe("the independent wire model", () => {
  test("takes the reference stream, refuses each kind of bad frame, waits on an unfinished one", () => {
    const stream = fromHex(STREAM_HEX);
    const max = 16 * 1024 * 1024;
    const changed = (at: number, value: number) => Uint8Array.from(stream, (b, i) => (i === at ? value : b));
    expect(validV1Prefix(stream, max)).toBe(true);
    expect(validV1Prefix(stream.subarray(0, stream.length - 1), max)).toBe(true); // the last frame is not complete yet
    expect(validV1Prefix(changed(0, 0x7f), max)).toBe(false); // unknown type
    expect(validV1Prefix(changed(1, stream[1]! ^ 1), max)).toBe(false); // reply flag on a request
    expect(validV1Prefix(stream, 4)).toBe(false); // over the frame limit
    expect(validV1Prefix(Uint8Array.of(0x02, 0, 0, 0, 0, 2, 0, 0, 0, 1, 8, 1), max)).toBe(false); // an Event without verb and noun
    expect(validV1Prefix(Uint8Array.of(0x01, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0xff), max)).toBe(false); // a body that is not protobuf
  });
});

describe("a live pipe under hostile input", () => {
  test("garbage or mutated frames close the pipe exactly when they are not valid, with the reason logged", async () => {
    let tag = 0;
    await tally.checkAsync(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 64 }), mutatedStreamArb), async (bytes) => {
        const max = 16 * 1024 * 1024;
        const { pipe, records, peer, isPeerClosed } = victim();
        peer.write(bytes);
        await settle();
        const expected = firstProtocolError(bytes, max);
        expect({ valid: expected === undefined, bytes: bytes.length }).toEqual({ valid: validV1Prefix(bytes, max), bytes: bytes.length });
        if (expected) {
          expect(pipe.status).toEqual({ state: "closed", error: expected });
          expect(protocolErrorLogs(records)).toEqual([{ peer: "raw", reason: expected.message }]);
          expect(isPeerClosed()).toBe(true);
        } else {
          expect(pipe.status.state).toBe("open");
          expect(protocolErrorLogs(records)).toEqual([]);
          pipe.close();
        }
        await bystanderWorks(tag++);
      }),
      4_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("replies to unknown ids and replies of the wrong type are dropped and counted; pending requests are untouched", async () => {
    await tally.checkAsync(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ kind: fc.constantFrom("event-reply", "heartbeat-reply"), id: fc.nat({ max: 0xffff_ffff }) }), { maxLength: 8 }),
        async (count, noise) => {
          const { pipe, records, sent: written, peer } = victim();
          const requests = Array.from({ length: count }, (_, i) => pipe.request({ verb: "get", noun: `n/${i}` }));
          await settle();
          const sent = written.filter((f) => f.type === FrameType.Event); // the pipe may also have sent a heartbeat
          const pending = new Set(sent.map((f) => f.id));
          // An EventReply whose id is pending is a real answer, not noise: leave those ids out.
          const unsolicited = noise.filter((n) => n.kind === "heartbeat-reply" || !pending.has(n.id));
          for (const n of unsolicited) {
            const message = { version: 1, capabilities: [] };
            peer.write(
              n.kind === "event-reply"
                ? replyFrame(n.id, "stray")
                : encodeFrame(FrameType.HeartbeatReply, n.id, encodeMessage({ type: FrameType.HeartbeatReply, message })),
            );
          }
          await settle();
          // The pipe's first heartbeat is outstanding: one HeartbeatReply with its id answers it.
          let heartbeat = written.find((f) => f.type === FrameType.Heartbeat)?.id;
          let unknown = 0;
          for (const n of unsolicited) {
            if (n.kind === "heartbeat-reply" && n.id === heartbeat) heartbeat = undefined;
            else unknown++;
          }
          expect([pipe.status.state, pipe.inFlight, pipe.stats.unknownReplies]).toEqual(["open", count, unknown]);
          for (const frame of [...sent].reverse()) peer.write(replyFrame(frame.id, `answer ${frame.id}`));
          const replies = await Promise.all(requests);
          expect(replies.map((r) => untext.decode(r.data))).toEqual(sent.map((f) => `answer ${f.id}`));
          expect(protocolErrorLogs(records)).toEqual([]);
          pipe.close();
        },
      ),
      2_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("a valid header and then a closed connection: the pipe closes with the truncation logged and pending requests fail", async () => {
    let tag = 0;
    await tally.checkAsync(
      fc.asyncProperty(frameArb, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), async (frame, fraction) => {
        const cut = 1 + Math.floor(fraction * (frame.bytes.length - 1)); // 1 .. length-1 bytes
        const { pipe, records, peer } = victim();
        const pending = pipe.request({ verb: "get", noun: "x" });
        await settle();
        peer.write(frame.bytes.subarray(0, cut));
        peer.close();
        const expected =
          cut < HEADER_LENGTH ? new TruncatedFrameError(cut, HEADER_LENGTH) : new TruncatedFrameError(cut, frame.bytes.length);
        expect(await pipe.closed).toEqual(expected);
        expect(protocolErrorLogs(records)).toEqual([{ peer: "raw", reason: expected.message }]);
        const failure = await pending.then(() => undefined, (error: unknown) => error);
        expect(failure).toBeInstanceOf(PipeClosedError);
        expect((failure as Error).message).toBe(`Cannot complete request: the pipe to raw closed (${expected.message})`);
        await bystanderWorks(tag++);
      }),
      3_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("frame size: a body at maxFrameBytes is accepted; one byte over closes the pipe with the limit named", async () => {
    await tally.checkAsync(
      fc.asyncProperty(frameArb, fc.boolean(), async (frame, over) => {
        const length = frame.bytes.length - HEADER_LENGTH;
        const max = over ? length - 1 : length;
        if (max < 0) return;
        const { pipe, records, peer } = victim(max);
        peer.write(frame.bytes);
        await settle();
        if (over) {
          const expected = new FrameTooLargeError(length, max);
          expect(expected.message).toBe(`Cannot accept frame: body length ${length} exceeds the maximum of ${max} bytes`);
          expect(pipe.status).toEqual({ state: "closed", error: expected });
          expect(protocolErrorLogs(records)).toEqual([{ peer: "raw", reason: expected.message }]);
        } else {
          const malformed = firstProtocolError(frame.bytes, max);
          expect(malformed).toBeUndefined();
          expect(pipe.status.state).toBe("open");
          pipe.close();
        }
      }),
      3_000,
    );
  }, FUZZ_TEST_TIMEOUT_MS);
});
