/**
 * Pipe.requestPrepared (a fan-out's send): the event encoded once gives each
 * peer the bytes `request` gives it, whatever the peer's capabilities (an
 * original v1 peer its old bytes), and each request's outcome reaches the
 * sink once: reply, deadline, abort (the peer told), the pipe's end, refusal.
 */
import { afterEach, describe, expect, test } from "bun:test";
import {
  Pipe,
  PipeClosedError,
  PreparedEvent,
  RequestAbortedError,
  RequestTimeoutError,
  TooManyInFlightError,
  type OutboundEvent,
  type ReplySink,
} from "../../src/pipe/index.ts";
import { Capability, decodeMessage, encodeFrame, encodeMessage, FrameDecoder, FrameType, type Frame } from "../../src/wire/index.ts";
import { FakeClock, fromHex, memoryPair, settle, VECTOR_CASES, waitUntil } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

/** A hand-driven peer announcing `capabilities`: records the frames it gets, answers only when the test says. */
function peerWith(capabilities: string[], options: { clock?: FakeClock; maxInFlight?: number } = {}) {
  const [ta, tb] = memoryPair();
  const pipe = new Pipe(ta, { peer: { name: "peer", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0, ...options });
  opened.push(pipe);
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  tb.start({ data: (chunk) => void frames.push(...decoder.push(chunk)), drain: () => {}, closed: () => {} });
  if (capabilities.length > 0) tb.write(encodeFrame(FrameType.Heartbeat, 1, encodeMessage({ type: FrameType.Heartbeat, message: { version: 1, capabilities } })));
  const answer = (id: number, code: number) => tb.write(encodeFrame(FrameType.EventReply, id, encodeMessage({ type: FrameType.EventReply, message: { version: 1, code } })));
  return { pipe, frames, answer, events: () => frames.filter((frame) => frame.type === FrameType.Event) };
}

/** A sink that records what it hears, by token. */
function recordingSink() {
  const heard: Array<{ token: number; code?: number; error?: Error }> = [];
  const sink: ReplySink = {
    replied: (token, reply) => void heard.push({ token, code: reply.code ?? -1 }),
    failed: (token, error) => void heard.push({ token, error }),
  };
  return { sink, heard };
}

const RICH: OutboundEvent = {
  verb: "post",
  noun: "jobs/run",
  mimetype: "application/json",
  data: new TextEncoder().encode('{"n":1}'),
  query: "dry=1",
  caller: "billing-app",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "rp=1",
  head: { headers: [{ name: "range", value: "bytes=0-9" }] },
  fleet: { target: "edge-1", epoch: 42, fleet: "f1", takeover: true, sender: "s2" },
};

describe("Pipe.requestPrepared", () => {
  const variants = [[], [Capability.EventExtensions], [Capability.CallerContext], [Capability.ReplyHead], [Capability.Fleet], [Capability.CallerContext, Capability.ReplyHead, Capability.Fleet, Capability.Stream]];
  for (const capabilities of variants) {
    test(`a peer listing [${capabilities.join(", ")}] gets the bytes request() sends it, deadline included`, async () => {
      const peer = peerWith(capabilities);
      if (capabilities.length > 0) await peer.pipe.ready;
      const prepared = new PreparedEvent(RICH);
      for (const deadlineMs of [undefined, 1, 127, 128, 30_000, 2_000_000, 0xffff_ffff]) {
        void peer.pipe.request(RICH, deadlineMs === undefined ? {} : { deadlineMs }).catch(() => {});
        expect(typeof peer.pipe.requestPrepared(prepared, deadlineMs, recordingSink().sink, 0)).toBe("number");
      }
      await waitUntil(() => peer.events().length === 14, "14 events");
      const bodies = peer.events().map((frame) => Array.from(frame.body));
      for (let i = 0; i < bodies.length; i += 2) expect(bodies[i + 1]).toEqual(bodies[i]!);
    });
  }

  test("an original v1 peer gets the reference vectors' bytes (under the frame's own id)", async () => {
    const peer = peerWith([]);
    const cases = VECTOR_CASES.filter((c) => c.message === "Event" && c.fields["mimetype"] !== undefined);
    expect(cases.length).toBe(3);
    for (const c of cases) {
      const data = Uint8Array.from(atob(String(c.fields["data"])), (ch) => ch.charCodeAt(0));
      const prepared = new PreparedEvent({ verb: String(c.fields["verb"]), noun: String(c.fields["noun"]), mimetype: String(c.fields["mimetype"]), data });
      expect(typeof peer.pipe.requestPrepared(prepared, undefined, recordingSink().sink, 0)).toBe("number");
    }
    await waitUntil(() => peer.events().length === 3, "3 events");
    peer.events().forEach((frame, i) => expect(Array.from(encodeFrame(FrameType.Event, cases[i]!.message_id, frame.body))).toEqual(Array.from(fromHex(cases[i]!.hex))));
  });

  test("each outcome reaches the sink once, under its token: reply, deadline, abort (the peer told), the pipe's end", async () => {
    const clock = new FakeClock();
    const peer = peerWith([Capability.Stream], { clock });
    await peer.pipe.ready;
    const { sink, heard } = recordingSink();
    const prepared = new PreparedEvent({ verb: "get", noun: "time" });
    const [answered, timed, aborted, ended] = [10, 20, 30, 40].map((token) => peer.pipe.requestPrepared(prepared, token === 20 ? 500 : 5_000, sink, token) as number);
    await waitUntil(() => peer.events().length === 4, "4 events");
    peer.answer(answered!, 7);
    await waitUntil(() => heard.length === 1, "the reply");
    await clock.advance(500);
    peer.pipe.abortRequest(aborted!);
    peer.pipe.abortRequest(aborted!); // settled already: nothing more
    peer.answer(timed!, 0); // too late: dropped
    await settle();
    peer.pipe.close(new Error("test over"));
    expect(heard.map(({ token, code, error }) => [token, code ?? error!.constructor.name])).toEqual([
      [10, 7],
      [20, RequestTimeoutError.name],
      [30, RequestAbortedError.name],
      [40, PipeClosedError.name],
    ]);
    void ended;
    const resets = peer.frames.filter((frame) => frame.type === FrameType.Reset);
    expect(resets.map((frame) => [frame.id, (decodeMessage(frame).message as { reason?: string }).reason])).toEqual([[aborted, "Cannot complete request to peer: aborted by the caller"]]);
    expect(peer.pipe.inFlight).toBe(0);
  });

  test("refusals are returned, and the sink hears nothing of them", () => {
    const peer = peerWith([], { maxInFlight: 1 });
    const { sink, heard } = recordingSink();
    const prepared = new PreparedEvent({ verb: "get", noun: "time" });
    expect(typeof peer.pipe.requestPrepared(prepared, 1_000, sink, 1)).toBe("number");
    expect(peer.pipe.requestPrepared(prepared, 1_000, sink, 2)).toBeInstanceOf(TooManyInFlightError);
    peer.pipe.close();
    expect(peer.pipe.requestPrepared(prepared, 1_000, sink, 3)).toBeInstanceOf(PipeClosedError);
    expect(heard.map((entry) => entry.token)).toEqual([1]); // the close ended the one in flight
  });

  test("an event with a streamed body cannot be prepared", () => {
    expect(() => new PreparedEvent({ verb: "put", noun: "x", body: new ReadableStream() })).toThrow(TypeError);
  });
});
