/**
 * Streamed bodies between two Pipes over the in-memory transport: bodies of
 * any size both ways, credit returned only as the consumer reads, windows
 * that grow for a reader that keeps up, a stalled reader that stalls only
 * its own stream, resets both ways, and an original v1 peer left alone.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Pipe, StreamResetError, StreamsUnsupportedError, type InboundHandler, type PipeOptions } from "../../src/pipe/index.ts";
import { FIRST_STREAM_WINDOW, INITIAL_STREAM_WINDOW, InboundStream, MAX_STREAM_WINDOW } from "../../src/pipe/_streams.ts";
import { Capability } from "../../src/wire/index.ts";
import { FakeClock, memoryPair, settle, waitUntil } from "../support/index.ts";

/** `promise`, or what `late` says once `ms` passed (the timer is cleared either way; Bun.sleep is not on Deno). */
function within<T>(promise: Promise<T>, ms: number, late: () => string): Promise<T | string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const MiB = 1024 * 1024;
const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function pair(b: Partial<PipeOptions> & { onEvent?: InboundHandler } = {}, a: Partial<PipeOptions> = {}) {
  const [ta, tb] = memoryPair({ highWaterMark: 4 * MiB });
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, onEvent: () => ({ mimetype: "x", code: 0 }) };
  const pa = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, ...base, ...a });
  const pb = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, ...base, ...b });
  opened.push(pa, pb);
  return { pa, pb, ta, tb };
}

/** A stream of `total` bytes (byte i = i & 0xff) made on demand, counting what was pulled from it. */
function counted(total: number, chunk = 256 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number; cancelled: () => unknown } {
  let made = 0;
  let cancelReason: unknown;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (made >= total) return controller.close();
        const n = Math.min(chunk, total - made);
        controller.enqueue(Uint8Array.from({ length: n }, (_, i) => (made + i) & 0xff));
        made += n;
      },
      cancel(reason) {
        cancelReason = reason ?? "cancelled";
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => made, cancelled: () => cancelReason };
}

async function readAll(stream: ReadableStream<Uint8Array>, each?: (length: number) => void): Promise<{ length: number; ok: boolean }> {
  let length = 0;
  let ok = true;
  const reader = stream.getReader();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) return { length, ok };
    for (let i = 0; i < chunk.length; i += 997) if (chunk[i] !== ((length + i) & 0xff)) ok = false;
    length += chunk.length;
    each?.(length);
  }
}

describe("streamed bodies", () => {
  test("a 24 MiB reply and a 24 MiB request body cross intact, each as a stream", async () => {
    const { pa } = pair({
      onEvent: async (event, context) => {
        if (event.verb === "get") return { mimetype: "application/octet-stream", code: 0, stream: counted(24 * MiB).stream, bodyLength: 24 * MiB };
        const got = await readAll(context.body!);
        return { mimetype: "application/json", code: 0, data: new TextEncoder().encode(JSON.stringify({ ...got, length: got.length, announced: event.bodyLength })) };
      },
    });
    await settle();
    expect(pa.streams).toBe(true);
    const reply = await pa.request({ verb: "get", noun: "big" });
    expect(reply.bodyLength).toBe(24 * MiB);
    expect(reply.data?.length).toBe(0);
    expect(await readAll(reply.stream!)).toEqual({ length: 24 * MiB, ok: true });
    const upload = await pa.request({ verb: "post", noun: "up", body: counted(24 * MiB).stream, bodyLength: 24 * MiB });
    expect(JSON.parse(new TextDecoder().decode(upload.data))).toEqual({ length: 24 * MiB, ok: true, announced: 24 * MiB });
  });

  test("an echo: the handler answers with its request body's stream while it still arrives (both ways at once)", async () => {
    const { pa } = pair({ onEvent: (_event, context) => ({ mimetype: "x", code: 0, stream: context.body! }) });
    await settle();
    const reply = await pa.request({ verb: "post", noun: "echo", body: counted(12 * MiB).stream });
    expect(await readAll(reply.stream!)).toEqual({ length: 12 * MiB, ok: true });
  });

  test("credit follows the reader: a reader that stops holds at most its window; the producer pulled no more", async () => {
    const source = counted(64 * MiB, 64 * 1024);
    const { pa } = pair({ onEvent: () => ({ mimetype: "x", code: 0, stream: source.stream }) });
    await settle();
    const reply = await pa.request({ verb: "get", noun: "x" });
    const reader = reply.stream!.getReader();
    // Read 1 MiB quickly, then stop.
    let read = 0;
    while (read < MiB) read += (await reader.read()).value!.length;
    await settle(500);
    const pulledWhileStalled = source.pulled();
    // The window may have grown while the reader kept up; never past MAX_STREAM_WINDOW, plus what sits in the pumps.
    expect(pulledWhileStalled - read).toBeLessThanOrEqual(MAX_STREAM_WINDOW + MiB); // was ${pulledWhileStalled - read}
    await settle(500);
    expect(source.pulled()).toBe(pulledWhileStalled); // nothing more without reading
    await reader.cancel();
  });

  test("a stalled reader stalls only its own stream: another stream and small requests go on", async () => {
    const { pa } = pair({
      onEvent: (event) => (event.noun === "small" ? { mimetype: "x", code: 0 } : { mimetype: "x", code: 0, stream: counted(8 * MiB).stream }),
    });
    await settle();
    const stalled = await pa.request({ verb: "get", noun: "stalled" });
    const stalledReader = stalled.stream!.getReader();
    await stalledReader.read(); // one chunk, then never again
    const other = await pa.request({ verb: "get", noun: "other" });
    expect(await readAll(other.stream!)).toEqual({ length: 8 * MiB, ok: true });
    for (let i = 0; i < 20; i++) expect((await pa.request({ verb: "get", noun: "small" })).code).toBe(0);
    await stalledReader.cancel();
  });

  test("many stalled readers whose windows grew hold no connection credit: a new stream still gets its whole body", async () => {
    // Each reader keeps up for a while (its window grows, as when a front's socket buffers take a reply), then stops.
    // Before: the bytes sitting in their windows held the whole 64 MiB connection window, and the next stream stalled.
    const { pa } = pair({ onEvent: (event) => ({ mimetype: "x", code: 0, stream: counted(event.noun === "stalled" ? 64 * MiB : 16 * MiB, 64 * 1024).stream }) });
    await settle();
    const stalled: ReadableStreamDefaultReader<Uint8Array>[] = [];
    for (let i = 0; i < 40; i++) {
      const reply = await pa.request({ verb: "get", noun: "stalled" });
      const reader = reply.stream!.getReader();
      stalled.push(reader);
      let read = 0;
      const first = (async () => {
        while (read < 4 * MiB) read += (await reader.read()).value!.length;
        return read;
      })();
      expect(await within(first, 5_000, () => `stalled at ${read} bytes (stream ${i})`)).toBe(4 * MiB);
    }
    await settle(200);
    const other = await pa.request({ verb: "get", noun: "other" });
    const got = await within(readAll(other.stream!), 5_000, () => "stalled"); // a hang before
    expect(got).toEqual({ length: 16 * MiB, ok: true });
    for (const reader of stalled) await reader.cancel();
  }, 30_000);

  test("the caller leaves: the handler's stream is cancelled and its signal aborts", async () => {
    const source = counted(64 * MiB, 64 * 1024);
    let signal: AbortSignal | undefined;
    const { pa, pb } = pair({
      onEvent: (_event, context) => {
        signal = context.signal;
        return { mimetype: "x", code: 0, stream: source.stream };
      },
    });
    await settle();
    const reply = await pa.request({ verb: "get", noun: "x" });
    const reader = reply.stream!.getReader();
    await reader.read();
    await reader.cancel("the HTTP caller left");
    await waitUntil(() => source.cancelled() !== undefined, "the handler's stream cancelled", 2_000);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(StreamResetError);
    await waitUntil(() => pb.inboundInFlight === 0, "the inbound event done", 2_000);
    expect(pa.status.state).toBe("open");
  });

  test("the handler's stream fails half-way: the reader sees an error (a truncated body), never a hang", async () => {
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 2 * MiB) return controller.error(new Error("disk on fire"));
        controller.enqueue(new Uint8Array(64 * 1024));
        sent += 64 * 1024;
      },
    });
    const { pa } = pair({ onEvent: () => ({ mimetype: "x", code: 0, stream: failing }) });
    await settle();
    const reply = await pa.request({ verb: "get", noun: "x" });
    const outcome = await readAll(reply.stream!).catch((error: Error) => error);
    expect(outcome).toBeInstanceOf(StreamResetError);
    expect((outcome as Error).message).toBe("Cannot complete request: b reset the stream (the reply body failed: disk on fire)");
    expect(pa.status.state).toBe("open");
  });

  test("a request body over RP_X_MAX_STREAM_BYTES is that stream's reset; the pipe stays up", async () => {
    const { pa } = pair({
      maxStreamBytes: MiB,
      onEvent: async (event, context) => ({ mimetype: "x", code: 0, data: new Uint8Array(event.noun === "up" ? (await readAll(context.body!)).length : 0) }),
    });
    await settle();
    const outcome = await pa.request({ verb: "post", noun: "up", body: counted(4 * MiB).stream }).catch((error: Error) => error);
    expect(outcome).toBeInstanceOf(StreamResetError);
    expect((outcome as Error).message).toContain("Cannot accept body: more than the limit of 1048576 bytes (RP_X_MAX_STREAM_BYTES)");
    expect((await pa.request({ verb: "get", noun: "small" })).code).toBe(0);
  });
});

describe("an original v1 peer", () => {
  test("gets no stream: a streamed request body is refused locally; a handler's stream is sent whole", async () => {
    const { pa, pb } = pair({}, {});
    await settle();
    // Pretend the peer is an original one: it announced nothing.
    pa.peerCapabilities = new Set();
    const refused = await pa.request({ verb: "post", noun: "x", body: counted(10).stream }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(StreamsUnsupportedError);
    expect((refused as Error).message).toMatch(/^Cannot send body: b takes only whole bodies \(an original v1 peer\)/);
    pb.peerCapabilities = new Set([Capability.GoAway]);
    expect(pb.streams).toBe(false);
  });
});

describe("window growth (virtual time)", () => {
  function inbound(clock: FakeClock, rttMs: number) {
    const credits: number[] = [];
    const stream = new InboundStream(clock, { credit: (n) => credits.push(n), consumed: () => {}, cancel: () => {}, done: () => {}, rttMs: () => rttMs });
    return { stream, credits, reader: stream.readable.getReader() };
  }

  /** Sends `bytes` in 64 KiB chunks and reads each, `msPerChunk` of virtual time apart; `waiting`: the reader asks before the data is there. */
  async function flow(clock: FakeClock, s: ReturnType<typeof inbound>, bytes: number, msPerChunk: number, waiting = true): Promise<void> {
    for (let sent = 0; sent < bytes; sent += 64 * 1024) {
      if (waiting) {
        const read = s.reader.read();
        await settle();
        expect(s.stream.push(new Uint8Array(64 * 1024), false)).toBeUndefined();
        await read;
      } else {
        expect(s.stream.push(new Uint8Array(64 * 1024), false)).toBeUndefined();
        await s.reader.read();
      }
      await clock.advance(msPerChunk);
    }
  }

  test("a window grows only while it is under four times what its reader takes in a round trip", async () => {
    const clock = new FakeClock();
    const s = inbound(clock, 5);
    // 64 KiB per ms with 5 ms round trips: 320 KiB per round trip, so the window stops at 2 MiB (4 x 320 KiB = 1.25 MiB
    // reached), where the round-trip rule alone let it grow to 4 MiB.
    await flow(clock, s, 48 * MiB, 1);
    expect(s.stream.window).toBe(2 * MiB);
  });

  test("a stream is widened at its start: to 1 MiB when longer or of unknown length, to its length when shorter, within the budget", () => {
    const clock = new FakeClock();
    const unknown = inbound(clock, 5);
    unknown.stream.widen(undefined);
    expect({ window: unknown.stream.window, credits: unknown.credits }).toEqual({ window: FIRST_STREAM_WINDOW, credits: [FIRST_STREAM_WINDOW - INITIAL_STREAM_WINDOW] });
    const long = inbound(clock, 5);
    long.stream.widen(1024 * MiB);
    expect(long.stream.window).toBe(FIRST_STREAM_WINDOW);
    const medium = inbound(clock, 5);
    medium.stream.widen(512 * 1024);
    expect({ window: medium.stream.window, credits: medium.credits }).toEqual({ window: 512 * 1024, credits: [512 * 1024 - INITIAL_STREAM_WINDOW] });
    const small = inbound(clock, 5);
    small.stream.widen(100);
    expect({ window: small.stream.window, credits: small.credits }).toEqual({ window: INITIAL_STREAM_WINDOW, credits: [] });
    const credits: number[] = [];
    const refused = new InboundStream(clock, { credit: (n) => credits.push(n), consumed: () => {}, grow: () => false, cancel: () => {}, done: () => {}, rttMs: () => 5 });
    refused.widen(undefined);
    expect({ window: refused.window, credits }).toEqual({ window: INITIAL_STREAM_WINDOW, credits: [] });
    // The widened window is credit the sender may use: a whole 1 MiB arrives before any read.
    for (let i = 0; i < 16; i++) expect(unknown.stream.push(new Uint8Array(64 * 1024), false)).toBeUndefined();
    expect(unknown.stream.push(new Uint8Array(1), false)).toContain("Cannot accept body data");
  });

  test("a reader that uses half its window within a few round trips doubles it, up to 16 MiB", async () => {
    const clock = new FakeClock();
    const s = inbound(clock, 5);
    expect(s.stream.window).toBe(INITIAL_STREAM_WINDOW);
    await flow(clock, s, 64 * MiB, 0);
    expect(s.stream.window).toBe(MAX_STREAM_WINDOW);
    expect(s.credits[0]).toBe(128 * 1024 + INITIAL_STREAM_WINDOW); // the half read, plus the growth
  });

  test("a window grows only within the pipe's budget: refused, it keeps its size and the credit read is still returned", async () => {
    const clock = new FakeClock();
    const credits: number[] = [];
    const asked: number[] = [];
    const stream = new InboundStream(clock, { credit: (n) => credits.push(n), consumed: () => {}, grow: (n) => (asked.push(n), false), cancel: () => {}, done: () => {}, rttMs: () => 5 });
    await flow(clock, { stream, credits, reader: stream.readable.getReader() }, 4 * MiB, 0);
    expect(asked.length).toBeGreaterThan(0);
    expect(stream.window).toBe(INITIAL_STREAM_WINDOW);
    expect(credits.every((n) => n === INITIAL_STREAM_WINDOW / 2)).toBe(true);
  });

  test("a slow reader keeps the initial window, and so does a fast one that never waits for data; data past the window is refused", async () => {
    const clock = new FakeClock();
    const s = inbound(clock, 1);
    await flow(clock, s, 4 * MiB, 50);
    expect(s.stream.window).toBe(INITIAL_STREAM_WINDOW);
    const unhurried = inbound(clock, 5);
    await flow(clock, unhurried, 4 * MiB, 0, false);
    expect(unhurried.stream.window).toBe(INITIAL_STREAM_WINDOW);
    const fresh = inbound(clock, 1);
    for (let i = 0; i < 4; i++) expect(fresh.stream.push(new Uint8Array(64 * 1024), false)).toBeUndefined();
    expect(fresh.stream.push(new Uint8Array(1), false)).toBe("Cannot accept body data: 1 bytes arrived with 0 bytes of credit left (the window is 262144)");
  });
});

describe("views of read buffers", () => {
  const KiB = 1024;
  function inbound() {
    let holding = 0;
    const stream = new InboundStream(new FakeClock(), { credit: () => {}, consumed: () => {}, cancel: () => {}, done: () => {}, rttMs: () => 1, holding: () => holding++ });
    return { stream, holding: () => holding, reader: stream.readable.getReader() };
  }

  test("a reader that lags keeps copies, not the 512 KiB read buffers its 64 KiB frames were views of", async () => {
    const s = inbound();
    s.stream.widen(undefined); // a 1 MiB window: five frames fit
    const read = new Uint8Array(512 * KiB).map((_, i) => i & 0xff);
    for (let at = 0; at < 4; at++) expect(s.stream.push(read.subarray(at * 64 * KiB, (at + 1) * 64 * KiB), false)).toBeUndefined();
    expect(s.holding()).toBe(1); // the pipe is told once per read, not per frame
    s.stream.detach();
    expect(s.stream.push(read.subarray(256 * KiB, 320 * KiB), false)).toBeUndefined();
    expect(s.holding()).toBe(2); // views pushed after a detach are reported again
    s.stream.detach();
    for (let at = 0; at < 5; at++) {
      const { value } = await s.reader.read();
      expect(value!.buffer.byteLength).toBe(64 * KiB);
      expect(value!.byteOffset).toBe(0);
      expect(value![1]).toBe(1); // byte i of each 64 KiB slice is i & 0xff
      expect(value![64 * KiB - 1]).toBe(0xff);
    }
  });

  test("a view whose class slices by view (a Node Buffer, Bun's reads) is still copied", async () => {
    class ViewSlicing extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        return this.subarray(start, end);
      }
    }
    const s = inbound();
    const read = new ViewSlicing(512 * KiB).fill(1);
    s.stream.push(read.subarray(0, 64 * KiB), false);
    s.stream.detach();
    read.fill(2); // the read buffer is reused or freed
    const { value } = await s.reader.read();
    expect(value!.buffer).not.toBe(read.buffer);
    expect(value![0]).toBe(1);
  });

  test("a chunk that is its own buffer is not copied", async () => {
    const s = inbound();
    const own = new Uint8Array(64 * KiB).fill(7);
    s.stream.push(own, false);
    s.stream.detach();
    expect((await s.reader.read()).value).toBe(own);
  });
});

describe("read buffers freed as soon as nobody views them", () => {
  /** A pair whose receiving side (a) "frees" each released read by overwriting it: a view still in use would show it. */
  function poisoningPair(onEvent: InboundHandler) {
    const [ta, tb] = memoryPair({ highWaterMark: 4 * MiB });
    let released = 0;
    Object.assign(ta, { release: (chunk: Uint8Array) => (released++, chunk.fill(0xee)) });
    const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
    const pa = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, ...base, onEvent: () => ({ mimetype: "x", code: 0 }) });
    const pb = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, ...base, onEvent });
    opened.push(pa, pb);
    return { pa, released: () => released };
  }

  for (const lend of [true, false]) {
    test(`a streamed reply read ${lend ? "by a lending reader" : "by an ordinary reader"} arrives intact while its reads are freed`, async () => {
      const { pa, released } = poisoningPair(() => ({ mimetype: "x", code: 0, stream: counted(8 * MiB, 200 * 1024).stream }));
      await waitUntil(() => pa.streams, "streams negotiated");
      const reply = await pa.request({ verb: "GET", noun: "x" });
      if (lend) reply.lend!();
      const reader = reply.stream!.getReader();
      let at = 0;
      let bad = -1;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (let i = 0; i < value.length && bad < 0; i++) if (value[i] !== ((at + i) & 0xff)) bad = at + i;
        at += value.length;
      }
      expect(bad).toBe(-1); // byte ${bad} was overwritten: a view of a freed read reached the reader
      expect(at).toBe(8 * MiB);
      expect(released()).toBeGreaterThan(8); // the reads of Data frames were freed, not left to the collector
    });
  }
});
