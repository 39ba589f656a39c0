/**
 * The pipe's write path over the in-memory transport, in virtual time: a
 * byte-bounded outbox, control frames before bulk ones, frames of settled
 * requests dropped unwritten, reading paused while the queue is full, and a
 * slow consumer closed after its timeout.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Pipe, SlowConsumerError, WriteQueueFullError, type PipeOptions, type Transport } from "../../src/pipe/index.ts";
import { LARGE_BODY, Outbox, WRITE_SLICE } from "../../src/pipe/_outbox.ts";
import { FrameDecoder, FrameType } from "../../src/wire/index.ts";
import { FakeClock, memoryPair, settle } from "../support/index.ts";

const BLOB = new Uint8Array(200 * 1024).fill(7);
const KiB = 1024;

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

/** A answers every event with BLOB; B is the peer under test. */
function pair(a: Partial<PipeOptions>, b: Partial<PipeOptions> = {}) {
  const clock = new FakeClock();
  const [ta, tb] = memoryPair({ highWaterMark: 1024 * KiB });
  const base = { clock, heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
  const pa = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, onEvent: () => ({ mimetype: "x", code: 0, data: BLOB }), ...base, ...a });
  const pb = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, onEvent: () => ({ mimetype: "x", code: 0 }), ...base, ...b });
  opened.push(pa, pb);
  return { clock, pa, pb, ta, tb };
}

describe("a peer that does not read", () => {
  test("the queue stays bounded, reading from it pauses, new requests are refused, then it is closed as a slow consumer", async () => {
    const { clock, pa, pb, ta, tb } = pair({ maxWriteQueueBytes: 256 * KiB, slowConsumerTimeoutMs: 5_000 });
    tb.pauseReading();
    const replies = Array.from({ length: 50 }, () => pb.request({ verb: "get", noun: "blob" }).catch((error: Error) => error));
    await settle(200);
    // What A holds for B: the transport's mark (1 MiB) plus one slice, and the outbox's bound plus one reply.
    expect(ta.queuedBytes).toBeLessThanOrEqual(1024 * KiB + WRITE_SLICE); // was ${ta.queuedBytes}
    expect(ta.paused).toBe(true);
    expect(ta.pauses).toBe(1);
    const refused = await pa.request({ verb: "get", noun: "x" }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(WriteQueueFullError);
    expect((refused as Error).message).toMatch(/^Cannot send request: \d+ bytes already wait to be written to b, over the limit of 262144 bytes/);
    expect(pa.status.state).toBe("open");
    await clock.advance(4_999);
    expect(pa.status.state).toBe("open");
    await clock.advance(1);
    const error = await pa.closed;
    expect(error).toBeInstanceOf(SlowConsumerError);
    expect(error?.message).toMatch(/^Closing pipe: b is a slow consumer: it took nothing for 5000 ms while \d+ bytes waited for it, over the limit of 262144 bytes; set RP_X_SLOW_CONSUMER_TIMEOUT_S/);
    tb.resumeReading();
    for (const outcome of await Promise.all(replies)) expect(outcome).toBeDefined();
  });

  test("a reader that catches up: reading resumes and every reply arrives", async () => {
    const { clock, pb, ta, tb } = pair({ maxWriteQueueBytes: 256 * KiB, slowConsumerTimeoutMs: 5_000 });
    tb.pauseReading();
    const replies = Array.from({ length: 30 }, () => pb.request({ verb: "get", noun: "blob" }));
    await settle(200);
    expect(ta.paused).toBe(true);
    await clock.advance(4_000);
    tb.resumeReading();
    const all = await Promise.all(replies);
    expect(all.every((reply) => reply.data?.length === BLOB.length)).toBe(true);
    expect(ta.paused).toBe(false);
  });

  test("our silence while we do not read is no heartbeat timeout; reading again, heartbeats go on", async () => {
    const { clock, pa, pb, ta, tb } = pair(
      { maxWriteQueueBytes: 256 * KiB, slowConsumerTimeoutMs: 0, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 2_000 },
      { heartbeatIntervalMs: 0 },
    );
    tb.pauseReading();
    const replies = Array.from({ length: 30 }, () => pb.request({ verb: "get", noun: "blob" }));
    await settle(200);
    expect(ta.paused).toBe(true);
    await clock.advance(30_000);
    expect(pa.status.state).toBe("open");
    tb.resumeReading();
    await Promise.all(replies);
    await clock.advance(1_000);
    expect(pa.lastRttMs).toBeDefined();
    expect(pa.status.state).toBe("open");
  });

  test("a queued event whose request timed out is never written", async () => {
    const { clock, pa, pb, tb } = pair({ maxWriteQueueBytes: 8 * 1024 * KiB });
    tb.pauseReading();
    const body = new Uint8Array(700 * KiB);
    // Two fill the transport past its 1 MiB mark; the next two wait in the outbox and time out there.
    const outcomes = [0, 1, 2, 3].map(() => pa.request({ verb: "post", noun: "x", data: body }, { deadlineMs: 100 }).catch((error: Error) => error.name));
    await settle(50);
    await clock.advance(100);
    expect(await Promise.all(outcomes)).toEqual(["RequestTimeoutError", "RequestTimeoutError", "RequestTimeoutError", "RequestTimeoutError"]);
    tb.resumeReading();
    await settle(200);
    expect(pb.stats.eventsReceived).toBe(2);
  });
});

/** A transport that records frame types as written, taking `room` bytes before it pushes back; `drain` empties it (then tell the outbox). */
function recordingTransport(room: number): { transport: Transport; types: number[]; drain: () => void } {
  const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * KiB });
  const types: number[] = [];
  let queued = 0;
  const transport: Transport = {
    peer: { remoteAddress: "memory:record" },
    scheduleFlush: (flush) => queueMicrotask(flush),
    start: () => {},
    write: (bytes) => {
      for (const frame of decoder.push(bytes)) types.push(frame.type);
      queued += bytes.length;
      return queued <= room;
    },
    pauseReading: () => {},
    resumeReading: () => {},
    close: () => {},
  };
  return { transport, types, drain: () => void (queued = 0) };
}

describe("outbox order", () => {
  const big = new Uint8Array(LARGE_BODY * 4);
  const small = new Uint8Array(10);

  test("a heartbeat queued after bulk frames is written before them", async () => {
    const { transport, types } = recordingTransport(Number.MAX_SAFE_INTEGER);
    const outbox = new Outbox(transport, { maxBytes: 64 * 1024 * KiB });
    for (let id = 1; id <= 3; id++) outbox.push({ type: FrameType.Event, id, size: big.length, body: big });
    outbox.push({ type: FrameType.Heartbeat, id: 9, size: small.length, body: small });
    await settle();
    expect(types).toEqual([FrameType.Heartbeat, FrameType.Event, FrameType.Event, FrameType.Event]);
  });

  test("while the transport is backed up, a heartbeat waits only for the frame already begun, not for the bulk queued behind it", async () => {
    const { transport, types, drain } = recordingTransport(0);
    const outbox = new Outbox(transport, { maxBytes: 64 * 1024 * KiB });
    for (let id = 1; id <= 3; id++) outbox.push({ type: FrameType.Event, id, size: big.length, body: big });
    await settle();
    expect(types).toEqual([]); // only the first frame's header went: the transport pushed back
    outbox.push({ type: FrameType.Heartbeat, id: 9, size: small.length, body: small });
    for (let i = 0; i < 10; i++) {
      drain();
      outbox.drained();
      await settle();
    }
    expect(types).toEqual([FrameType.Event, FrameType.Heartbeat, FrameType.Event, FrameType.Event]);
  });

  test("a lazy body is made only when written, and a dead frame never", async () => {
    const { transport, types } = recordingTransport(Number.MAX_SAFE_INTEGER);
    const outbox = new Outbox(transport, { maxBytes: 64 * 1024 * KiB });
    let made = 0;
    outbox.push({ type: FrameType.Event, id: 1, size: big.length, body: () => (made++, big), live: () => false });
    outbox.push({ type: FrameType.Event, id: 2, size: big.length, body: () => (made++, big) });
    expect(made).toBe(0);
    await settle();
    expect(made).toBe(1);
    expect(types).toEqual([FrameType.Event]);
    expect(outbox.dropped).toBe(1);
    expect(outbox.queuedBytes).toBe(0);
  });

  test("a stream frame's `written` is called once its body is copied into a write, and never for a frame dropped unwritten", async () => {
    const { transport, drain } = recordingTransport(0);
    const outbox = new Outbox(transport, { maxBytes: 64 * 1024 * KiB });
    const chunk = new Uint8Array(LARGE_BODY);
    const written: number[] = [];
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    for (const id of ids(1, 20)) outbox.push({ type: FrameType.Data, id, size: chunk.length, body: chunk, bulk: true, written: () => written.push(id) });
    outbox.push({ type: FrameType.Data, id: 21, size: chunk.length, body: chunk, bulk: true, live: () => false, written: () => written.push(21) });
    await settle();
    expect(written).toEqual(ids(1, 16)); // one batch of about 1 MiB went; the transport pushed back
    for (let i = 0; i < 10; i++) {
      drain();
      outbox.drained();
      await settle();
    }
    expect(written).toEqual(ids(1, 20));
    expect(outbox.dropped).toBe(1);
  });

  test("full past the bound, room again at half of it", async () => {
    const { transport, drain } = recordingTransport(0);
    const seen: string[] = [];
    const outbox = new Outbox(transport, { maxBytes: 3 * big.length, events: { full: () => seen.push("full"), room: () => seen.push("room") } });
    for (let id = 1; id <= 4; id++) outbox.push({ type: FrameType.Event, id, size: big.length, body: big });
    expect(seen).toEqual(["full"]);
    for (let i = 0; i < 20 && outbox.queuedBytes > 0; i++) {
      drain();
      outbox.drained();
      await settle();
    }
    expect(seen).toEqual(["full", "room"]);
    expect(outbox.queuedBytes).toBe(0);
  });
});
