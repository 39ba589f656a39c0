import { afterEach, describe, expect, test } from "bun:test";
import {
  HeartbeatTimeoutError,
  Pipe,
  PipeClosedError,
  PipeDrainingError,
  RequestAbortedError,
  RequestTimeoutError,
  TooManyInFlightError,
  type InboundHandler,
  type PipeOptions,
} from "../../src/pipe/index.ts";
import {
  encodeFrame,
  encodeMessage,
  FrameDecoder,
  FrameType,
  ReplyCode,
  UnknownFrameTypeError,
  decodeMessage,
  type EventReply,
} from "../../src/wire/index.ts";
import { FakeClock, memoryPair, settle, sleep, waitUntil, type MemoryPairOptions, type MemoryTransport } from "../support/index.ts";

const text = new TextEncoder();
const untext = new TextDecoder();

/** Replies with "<side>:<verb> <noun>". */
function echo(side: string): InboundHandler {
  return (event) => ({ mimetype: "text/plain", code: 0, data: text.encode(`${side}:${event.verb} ${event.noun}`) });
}

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function pipes(
  options: Partial<PipeOptions> & { a?: Partial<PipeOptions>; b?: Partial<PipeOptions>; pair?: MemoryPairOptions } = {},
) {
  const [ta, tb] = memoryPair(options.pair);
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, ...options };
  const a = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, onEvent: echo("a"), ...base, ...options.a });
  const b = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, onEvent: echo("b"), ...base, ...options.b });
  opened.push(a, b);
  return { a, b, ta, tb };
}

/** A raw peer: the test writes frames by hand and reads what the pipe sends. */
function rawPeer(options: Partial<PipeOptions> = {}) {
  const [ta, tb] = memoryPair();
  const pipe = new Pipe(ta, { peer: { name: "raw", remoteAddress: "memory:raw" }, onEvent: echo("p"), heartbeatIntervalMs: 0, ...options });
  opened.push(pipe);
  const decoder = new FrameDecoder();
  const received: Array<{ type: number; id: number; message: unknown }> = [];
  let closed = false;
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) received.push({ type: frame.type, id: frame.id, message: decodeMessage(frame).message });
    },
    drain: () => {},
    closed: () => (closed = true),
  });
  return {
    pipe,
    transport: tb as MemoryTransport,
    received,
    isClosed: () => closed,
    send: (bytes: Uint8Array) => tb.write(bytes),
  };
}

function replyFrame(id: number, data: string): Uint8Array {
  const reply: EventReply = { version: 1, mimetype: "text/plain", code: 0, data: text.encode(data) };
  return encodeFrame(FrameType.EventReply, id, encodeMessage({ type: FrameType.EventReply, message: reply }));
}

describe("Pipe over an in-memory transport", () => {
  test("10,000 requests in flight in both directions each get their own reply", async () => {
    const { a, b } = pipes({ pair: { chunkSize: 1500 }, maxInFlight: 20_000, maxInboundInFlight: 20_000 });
    const n = 10_000;
    const fromA = Array.from({ length: n }, (_, i) => a.request({ verb: "get", noun: `a/${i}` }));
    const fromB = Array.from({ length: n }, (_, i) => b.request({ verb: "post", noun: `b/${i}` }));
    expect(a.inFlight).toBe(n);
    const [repliesA, repliesB] = await Promise.all([Promise.all(fromA), Promise.all(fromB)]);
    repliesA.forEach((r, i) => expect(untext.decode(r.data)).toBe(`b:get a/${i}`));
    repliesB.forEach((r, i) => expect(untext.decode(r.data)).toBe(`a:post b/${i}`));
    expect(a.inFlight).toBe(0);
    expect(a.stats.unknownReplies + b.stats.unknownReplies).toBe(0);
  });

  test("closing the pipe mid-flight rejects every pending request at once", async () => {
    const never: InboundHandler = () => new Promise(() => {});
    const { a } = pipes({ b: { onEvent: never } });
    const requests = Array.from({ length: 100 }, (_, i) => a.request({ verb: "get", noun: String(i) }));
    await settle();
    a.close(new Error("test shutdown"));
    const results = await Promise.allSettled(requests);
    expect(results.every((r) => r.status === "rejected" && r.reason instanceof PipeClosedError)).toBe(true);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe(
      "Cannot complete request: the pipe to b closed (test shutdown)",
    );
    expect(a.status).toEqual({ state: "closed", error: new Error("test shutdown") });
  });

  test("the peer closing the connection rejects pending requests on both sides", async () => {
    const never: InboundHandler = () => new Promise(() => {});
    const { a, b, ta } = pipes({ onEvent: never, a: { onEvent: never }, b: { onEvent: never } });
    const pendingA = a.request({ verb: "get", noun: "x" });
    const pendingB = b.request({ verb: "get", noun: "y" });
    await settle();
    ta.reset();
    await expect(pendingA).rejects.toBeInstanceOf(PipeClosedError);
    await expect(pendingB).rejects.toBeInstanceOf(PipeClosedError);
    expect(await b.closed).toEqual(new Error("connection reset"));
  });

  test("a request after close rejects at once", async () => {
    const { a } = pipes();
    a.close();
    await expect(a.request({ verb: "get", noun: "x" })).rejects.toBeInstanceOf(PipeClosedError);
  });

  test("a deadline fires and the late reply is discarded and counted", async () => {
    const clock = new FakeClock();
    const peer = rawPeer({ clock });
    const request = peer.pipe.request({ verb: "get", noun: "slow" }, { deadlineMs: 1_000 });
    await settle();
    const sent = peer.received.find((f) => f.type === FrameType.Event)!;
    expect(sent.message).toMatchObject({ verb: "get", noun: "slow", deadlineMs: 1_000 });
    await clock.advance(999);
    expect(peer.pipe.inFlight).toBe(1);
    await clock.advance(1);
    await expect(request).rejects.toThrow(new RequestTimeoutError(1_000, "raw"));
    peer.send(replyFrame(sent.id, "too late"));
    await settle();
    expect(peer.pipe.stats.unknownReplies).toBe(1);
    expect(peer.pipe.status.state).toBe("open");
  });

  test("deadlines share one sweep timer per pipe, and each request still ends at its own deadline", async () => {
    const clock = new FakeClock();
    const peer = rawPeer({ clock, heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 });
    const idle = clock.pendingTimers;
    const outcomes: string[] = [];
    const track = (name: string, deadlineMs: number) =>
      void peer.pipe.request({ verb: "get", noun: name }, { deadlineMs }).catch((error: unknown) => outcomes.push(`${name}@${clock.now()}:${(error as Error).name}`));
    for (let i = 0; i < 100; i++) track(`same${i}`, 1_000);
    // A hundred requests with one deadline length: one timer in all, not one each.
    expect(clock.pendingTimers - idle).toBe(1);
    track("late", 3_000);
    track("early", 200); // earlier than every other: the sweep is re-armed for it
    expect(clock.pendingTimers - idle).toBe(1);
    await clock.advance(199);
    expect(outcomes).toEqual([]);
    await clock.advance(1);
    expect(outcomes).toEqual(["early@200:RequestTimeoutError"]);
    await clock.advance(800);
    expect(outcomes.length).toBe(101);
    expect(outcomes.at(-1)).toBe("same99@1000:RequestTimeoutError");
    await clock.advance(1_999);
    expect(outcomes.length).toBe(101);
    await clock.advance(1);
    expect(outcomes.at(-1)).toBe("late@3000:RequestTimeoutError");
    expect(peer.pipe.inFlight).toBe(0);
    expect(clock.pendingTimers - idle).toBe(0);
  });

  test("a reply with an unknown id is counted and ignored", async () => {
    const peer = rawPeer();
    const request = peer.pipe.request({ verb: "get", noun: "x" });
    await settle();
    const sent = peer.received.find((f) => f.type === FrameType.Event)!;
    peer.send(replyFrame(sent.id + 1000, "stray"));
    peer.send(replyFrame(sent.id, "mine"));
    expect(untext.decode((await request).data)).toBe("mine");
    expect(peer.pipe.stats.unknownReplies).toBe(1);
  });

  test("an Event whose id equals a pending request's id is dispatched, not taken as the reply", async () => {
    const peer = rawPeer();
    const request = peer.pipe.request({ verb: "get", noun: "mine" });
    await settle();
    const sent = peer.received.find((f) => f.type === FrameType.Event)!;
    const event = { version: 1, verb: "get", noun: "theirs", mimetype: "", data: new Uint8Array() };
    peer.send(encodeFrame(FrameType.Event, sent.id, encodeMessage({ type: FrameType.Event, message: event })));
    await settle();
    const answer = peer.received.find((f) => f.type === FrameType.EventReply)!;
    expect(answer.id).toBe(sent.id);
    expect(untext.decode((answer.message as EventReply).data)).toBe("p:get theirs");
    expect(peer.pipe.inFlight).toBe(1); // our own request is still waiting
    peer.send(replyFrame(sent.id, "reply"));
    expect(untext.decode((await request).data)).toBe("reply");
  });

  test("frames queued in one tick leave in one transport write", async () => {
    const { a, ta } = pipes();
    await settle();
    const before = ta.writeCalls;
    const requests = Array.from({ length: 200 }, (_, i) => a.request({ verb: "get", noun: String(i) }));
    await settle(1);
    expect(ta.writeCalls - before).toBe(1);
    await Promise.all(requests);
  });

  test("back-pressure: writes pause above the high-water mark and resume on drain, losing nothing", async () => {
    const big = new Uint8Array(300_000).fill(7);
    const bigReply: InboundHandler = () => ({ mimetype: "application/octet-stream", code: 0, data: big });
    const { a, tb } = pipes({ pair: { highWaterMark: 64 * 1024, chunkSize: 16 * 1024 }, b: { onEvent: bigReply } });
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => a.request({ verb: "get", noun: String(i) })));
    // Over 256 KiB, a whole reply comes as a stream from a peer that takes streams.
    const bodies = await Promise.all(replies.map(async (r) => (r.stream ? new Uint8Array(await new Response(r.stream).arrayBuffer()) : r.data)));
    expect(bodies.every((data) => data?.length === big.length && data[299_999] === 7)).toBe(true);
    expect(tb.queuedBytes).toBe(0);
  });

  test("a handler that throws is answered with code 251 and the exception", async () => {
    const boom: InboundHandler = () => {
      throw new TypeError("bad things");
    };
    const { a } = pipes({ b: { onEvent: boom } });
    const reply = await a.request({ verb: "get", noun: "x" });
    expect(reply.code).toBe(ReplyCode.HandlerError);
    expect(JSON.parse(untext.decode(reply.data))).toEqual({ exception: { message: "bad things", class: "TypeError" } });
  });

  test("garbage from the peer closes the pipe with the wire error and rejects what is pending", async () => {
    const peer = rawPeer();
    const request = peer.pipe.request({ verb: "get", noun: "x" });
    await settle();
    peer.send(Uint8Array.of(0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    const reason = await peer.pipe.closed;
    expect(reason).toBeInstanceOf(UnknownFrameTypeError);
    await expect(request).rejects.toBeInstanceOf(PipeClosedError);
    await settle();
    expect(peer.isClosed()).toBe(true);
  });

  test("the outbound in-flight limit rejects the request past it", async () => {
    const never: InboundHandler = () => new Promise(() => {});
    const { a } = pipes({ a: { maxInFlight: 2 }, b: { onEvent: never } });
    void a.request({ verb: "get", noun: "1" }).catch(() => {});
    void a.request({ verb: "get", noun: "2" }).catch(() => {});
    await expect(a.request({ verb: "get", noun: "3" })).rejects.toThrow(new TooManyInFlightError(2, "b"));
  });

  test("the inbound in-flight limit answers 'unavailable' past it", async () => {
    const never: InboundHandler = () => new Promise(() => {});
    const { a } = pipes({ b: { onEvent: never, maxInboundInFlight: 1 } });
    void a.request({ verb: "get", noun: "1" }).catch(() => {});
    const reply = await a.request({ verb: "get", noun: "2" });
    expect(reply.code).toBe(ReplyCode.Unavailable);
    expect(JSON.parse(untext.decode(reply.data))).toEqual({ error: "unavailable: 1 events already in flight" });
  });

  test("an AbortSignal rejects the request with RequestAbortedError", async () => {
    const never: InboundHandler = () => new Promise(() => {});
    const { a } = pipes({ b: { onEvent: never } });
    const controller = new AbortController();
    const request = a.request({ verb: "get", noun: "x" }, { signal: controller.signal });
    controller.abort();
    await expect(request).rejects.toBeInstanceOf(RequestAbortedError);
    expect(a.inFlight).toBe(0);
  });

  test("the receiving handler's signal aborts when the sender's deadline passes", async () => {
    const clock = new FakeClock();
    let aborted: unknown;
    const watcher: InboundHandler = (_event, { signal }) =>
      new Promise((resolve) =>
        signal.addEventListener("abort", () => {
          aborted = signal.reason;
          resolve({ code: 0 });
        }),
      );
    const { a } = pipes({ clock, b: { onEvent: watcher } });
    const request = a.request({ verb: "get", noun: "x" }, { deadlineMs: 500 });
    await clock.advance(500);
    await expect(request).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(String(aborted)).toContain("deadline");
  });

  test("a signal first read after the deadline, or after the pipe closed, is already aborted", async () => {
    const clock = new FakeClock();
    const contexts: Array<{ signal: AbortSignal }> = [];
    const keep: InboundHandler = (_event, context) => {
      contexts.push(context); // the signal is not read yet
      return new Promise(() => {});
    };
    const { a, b } = pipes({ clock, b: { onEvent: keep } });
    const late = a.request({ verb: "get", noun: "late" }, { deadlineMs: 500 }).catch((error: unknown) => error);
    const closing = a.request({ verb: "get", noun: "closing" }).catch((error: unknown) => error);
    await clock.advance(600);
    expect(await late).toBeInstanceOf(RequestTimeoutError);
    expect(contexts[0]!.signal.aborted).toBe(true);
    expect(String(contexts[0]!.signal.reason)).toContain("deadline");
    b.close(); // contexts[1]'s signal was never read while the pipe was open
    expect(await closing).toBeInstanceOf(PipeClosedError);
    expect(contexts[1]!.signal.reason).toBeInstanceOf(PipeClosedError);
  });
});

describe("hostile deadlines", () => {
  test("a peer's deadline beyond the longest timer (u32 ms) does not abort the handler at once", async () => {
    let signal: AbortSignal | undefined;
    const release = Promise.withResolvers<void>();
    const holder: InboundHandler = async (_event, context) => {
      signal = context.signal;
      await release.promise;
      return { code: 0 };
    };
    const { a } = pipes({ b: { onEvent: holder } }); // the system clock
    const request = a.request({ verb: "get", noun: "x" }, { deadlineMs: 0xffff_ffff });
    await waitUntil(() => signal !== undefined, "the handler runs");
    await sleep(25); // an overflowing timer fires after 1 ms
    expect(signal!.aborted).toBe(false);
    release.resolve();
    expect((await request).code).toBe(0);
  });
});

describe("Pipe readiness", () => {
  test("ready is true at the peer's first frame", async () => {
    const { a } = pipes();
    expect(await a.ready).toBe(true);
  });

  test("ready is false when the pipe closes before the peer said anything", async () => {
    const [ta, tb] = memoryPair();
    tb.start({ data: () => {}, drain: () => {}, closed: () => {} }); // a peer that never answers, then hangs up
    const pipe = new Pipe(ta, { peer: { name: "mute", remoteAddress: "memory" }, onEvent: echo("a") });
    opened.push(pipe);
    tb.close();
    expect(await pipe.ready).toBe(false);
  });
});

describe("Pipe heartbeats", () => {
  test("heartbeats are answered, measure a round trip and exchange capabilities", async () => {
    const clock = new FakeClock();
    const { a, b } = pipes({ clock, heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 10_000 });
    await clock.advance(0);
    expect(a.lastRttMs).toBe(0);
    expect([...b.peerCapabilities]).toEqual(["goaway", "event-ext", "stream", "caller-ctx", "reply-head"]);
    await clock.advance(60_000);
    expect(a.status.state).toBe("open");
    expect(b.status.state).toBe("open");
  });

  test("a silent (half-open) peer is detected within interval + timeout on both sides", async () => {
    const clock = new FakeClock();
    const { a, b, ta } = pipes({ clock, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 2_000 });
    await clock.advance(10_000);
    const pending = a.request({ verb: "get", noun: "x" });
    ta.goSilent();
    const silentAt = clock.now();
    await clock.advance(2_999);
    expect(a.status.state).toBe("open");
    await clock.advance(1);
    expect(a.status.state).toBe("closed");
    expect(b.status.state).toBe("closed");
    expect(clock.now() - silentAt).toBeLessThanOrEqual(3_000);
    expect(await a.closed).toBeInstanceOf(HeartbeatTimeoutError);
    await expect(pending).rejects.toBeInstanceOf(PipeClosedError);
    expect(clock.pendingTimers).toBe(0);
  });

  test("inbound traffic keeps a busy pipe alive while a heartbeat reply is slow", async () => {
    const clock = new FakeClock();
    const peer = rawPeer({ clock, heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 2_000 });
    // The raw peer never answers heartbeats, but keeps sending (stray) replies every 500 ms.
    for (let t = 0; t < 10_000; t += 500) {
      peer.send(replyFrame(99, "noise"));
      await clock.advance(500);
    }
    expect(peer.pipe.status.state).toBe("open");
    await clock.advance(3_000);
    expect(peer.pipe.status.state).toBe("closed");
  });
});

describe("Pipe draining", () => {
  test("drain sends GoAway to a capable peer; its new requests are refused, in-flight ones finish", async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const slow: InboundHandler = () => new Promise((resolve) => (release = () => resolve({ code: 0, mimetype: "text/plain", data: text.encode("done") })));
    const goAways: number[] = [];
    const { a, b } = pipes({ clock, heartbeatIntervalMs: 5_000, b: { onEvent: slow }, a: { onGoAway: (ms) => goAways.push(ms) } });
    await clock.advance(0); // capabilities exchanged
    const inFlight = a.request({ verb: "get", noun: "slow" });
    await settle();
    b.drain(1_500);
    await settle();
    expect(goAways).toEqual([1_500]);
    await expect(a.request({ verb: "get", noun: "new" })).rejects.toBeInstanceOf(PipeDrainingError);
    const idle = b.idle();
    release();
    expect(untext.decode((await inFlight).data)).toBe("done");
    await idle;
    expect(b.inboundInFlight).toBe(0);
  });

  test("a draining pipe answers events from a peer that ignores GoAway with 'unavailable'", async () => {
    const peer = rawPeer();
    peer.pipe.drain(100);
    const event = { version: 1, verb: "get", noun: "x", mimetype: "", data: new Uint8Array() };
    peer.send(encodeFrame(FrameType.Event, 5, encodeMessage({ type: FrameType.Event, message: event })));
    await settle();
    const reply = peer.received.find((f) => f.type === FrameType.EventReply)!;
    expect((reply.message as EventReply).code).toBe(ReplyCode.Unavailable);
    expect(peer.received.some((f) => f.type === FrameType.GoAway)).toBe(false); // a v1 peer never sees GoAway
  });
});

describe("Pipe frame size limits", () => {
  test("an event too large for a frame is refused locally; the pipe stays up", async () => {
    const { a } = pipes({ maxFrameBytes: 1024 });
    await expect(a.request({ verb: "post", noun: "x", data: new Uint8Array(2000) })).rejects.toThrow(
      /^Cannot send event: body length \d+ exceeds the maximum of 1024 bytes$/,
    );
    expect(untext.decode((await a.request({ verb: "get", noun: "ok" })).data)).toBe("b:get ok");
  });

  test("a reply too large for a frame becomes a 251 error reply", async () => {
    const huge: InboundHandler = () => ({ mimetype: "application/octet-stream", code: 0, data: new Uint8Array(5000) });
    const { a } = pipes({ maxFrameBytes: 1024, b: { onEvent: huge } });
    const reply = await a.request({ verb: "get", noun: "big" });
    expect(reply.code).toBe(ReplyCode.HandlerError);
    expect(JSON.parse(untext.decode(reply.data)).exception.message).toMatch(/^Cannot send reply: body length \d+ exceeds the maximum of 1024 bytes$/);
  });
});
