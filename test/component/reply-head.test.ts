/**
 * HTTP semantics across the pipe (reply-head): request headers on the Event and
 * status + headers on the EventReply go only to a peer listing the capability
 * (an original v1 peer sees the bytes it always saw); handlers read
 * `ctx.headers` and set `ctx.reply(..., { status, headers })`; HEAD runs the
 * GET handler without its body; the front applies a reply's head and refuses
 * a hostile one.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createDispatcher, type HandlerContext } from "../../src/dispatch/index.ts";
import { replyResponse, statusForReply } from "../../src/http/index.ts";
import { PeerReplyError, Pipe } from "../../src/pipe/index.ts";
import { decodeMessage, encodeFrame, encodeMessage, FrameDecoder, FrameType, type Event, type EventReply } from "../../src/wire/index.ts";
import { memoryPair, waitUntil } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

const HEAD = { headers: [{ name: "range", value: "bytes=10-" }] };

/** A hand-driven peer announcing `capabilities`: records the Event bodies it gets and answers each with code 0. */
function peerWith(capabilities: string[]) {
  const [ta, tb] = memoryPair();
  const pipe = new Pipe(ta, { peer: { name: "peer", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
  opened.push(pipe);
  const decoder = new FrameDecoder();
  const events: Uint8Array[] = [];
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type !== FrameType.Event) continue;
        events.push(frame.body);
        tb.write(encodeFrame(FrameType.EventReply, frame.id, encodeMessage({ type: FrameType.EventReply, message: { version: 1, code: 0, httpStatus: 206, head: HEAD } })));
      }
    },
    drain: () => {},
    closed: () => {},
  });
  tb.write(encodeFrame(FrameType.Heartbeat, 1, encodeMessage({ type: FrameType.Heartbeat, message: { version: 1, capabilities } })));
  return { pipe, events };
}

/** Replies our pipe sends to a peer announcing `capabilities`, for a handler answering `answer`. */
async function replySentTo(capabilities: string[], answer: EventReply): Promise<Record<string, unknown>> {
  const [ta, tb] = memoryPair();
  const pipe = new Pipe(ta, { peer: { name: "peer", remoteAddress: "memory" }, onEvent: () => answer, heartbeatIntervalMs: 0 });
  opened.push(pipe);
  const decoder = new FrameDecoder();
  const replies: Array<Record<string, unknown>> = [];
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) if (frame.type === FrameType.EventReply) replies.push(decodeMessage(frame).message as Record<string, unknown>);
    },
    drain: () => {},
    closed: () => {},
  });
  tb.write(encodeFrame(FrameType.Heartbeat, 1, encodeMessage({ type: FrameType.Heartbeat, message: { version: 1, capabilities } })));
  tb.write(encodeFrame(FrameType.Event, 5, encodeMessage({ type: FrameType.Event, message: { version: 1, verb: "get", noun: "x" } })));
  await waitUntil(() => replies.length === 1, "a reply");
  return replies[0]!;
}

describe("reply-head on the wire", () => {
  test("our heartbeat announces reply-head", async () => {
    const [ta, tb] = memoryPair();
    const a = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
    const b = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
    opened.push(a, b);
    await a.request({ verb: "get", noun: "x" });
    expect({ a: a.replyHead, b: b.replyHead }).toEqual({ a: true, b: true });
  });

  test("a v1 peer gets exactly the old Event bytes: no request head", async () => {
    const peer = peerWith([]);
    await peer.pipe.ready;
    await peer.pipe.request({ verb: "get", noun: "files//docs/a", head: HEAD });
    const v1: Event = { version: 1, verb: "get", noun: "files//docs/a", mimetype: "", data: new Uint8Array(0) };
    expect(peer.events[0]).toEqual(encodeMessage({ type: FrameType.Event, message: v1 }));
    expect(peer.pipe.replyHead).toBe(false);
  });

  test("a peer listing reply-head gets the request head, and its reply's status and head are read", async () => {
    const peer = peerWith(["stream", "reply-head"]);
    await peer.pipe.ready;
    const reply = await peer.pipe.request({ verb: "get", noun: "files//docs/a", head: HEAD });
    const event = decodeMessage({ type: FrameType.Event, flags: 0, id: 1, body: peer.events[0]! }).message as Event;
    expect(event.head).toEqual(HEAD);
    expect({ status: reply.httpStatus, head: reply.head }).toEqual({ status: 206, head: HEAD });
  });

  test("a reply's status and head go only to a peer listing reply-head", async () => {
    const answer: EventReply = { code: 0, httpStatus: 404, head: { headers: [{ name: "etag", value: '"v1"' }] } };
    const old = await replySentTo(["stream", "caller-ctx"], answer);
    expect({ status: old["httpStatus"], head: old["head"] }).toEqual({ status: undefined, head: undefined });
    const ours = await replySentTo(["stream", "reply-head"], answer);
    expect({ status: ours["httpStatus"], head: ours["head"] }).toEqual({ status: 404, head: answer.head });
  });
});

const context = { peer: { name: "peer", remoteAddress: "memory" }, signal: new AbortController().signal };

describe("handlers and the reply head", () => {
  const handlers = {
    get_page(ctx: HandlerContext) {
      return ctx.reply("text/plain", 0, `range=${ctx.headers["range"] ?? "-"} keys=${Object.keys(ctx.headers).join(",")}`, {
        status: 206,
        headers: { ETag: '"v1"', "Content-Range": "bytes 0-1/2" },
      });
    },
    get_missing(ctx: HandlerContext) {
      return ctx.reply("application/json", 0, { error: "no such page" }, { status: 404 });
    },
    get_bad(ctx: HandlerContext) {
      return ctx.reply("text/plain", 0, "x", { headers: { "set-cookie": "a=b" } });
    },
    get_status(ctx: HandlerContext) {
      return ctx.reply("text/plain", 0, "x", { status: 101 });
    },
    get_blob() {
      return new Blob(["twelve bytes"]);
    },
    head_custom(ctx: HandlerContext) {
      return ctx.reply("text/plain", 0, "", { headers: { "content-length": "99" } });
    },
  };
  const dispatch = createDispatcher(handlers);

  test("ctx.headers holds only the allow-listed request headers of the event; the reply carries status and head (lower-case)", async () => {
    const head = { headers: [{ name: "range", value: "bytes=0-1" }, { name: "cookie", value: "secret" }, { name: "if-none-match", value: "\r\nx" }] };
    const reply = await dispatch({ version: 1, verb: "get", noun: "page", head }, context);
    expect(new TextDecoder().decode(reply.data)).toBe("range=bytes=0-1 keys=range");
    expect({ status: reply.httpStatus, head: reply.head }).toEqual({ status: 206, head: { headers: [{ name: "etag", value: '"v1"' }, { name: "content-range", value: "bytes 0-1/2" }] } });
    expect((await dispatch({ version: 1, verb: "get", noun: "missing" }, context)).httpStatus).toBe(404);
  });

  test("a header off the allow-list or a status outside 200-599 is the handler's 251, naming it", async () => {
    const bad = await dispatch({ version: 1, verb: "get", noun: "bad" }, context);
    expect(bad.code).toBe(251);
    expect(new TextDecoder().decode(bad.data)).toContain('Cannot reply: the reply header \\"set-cookie\\" is not one a reply may set');
    const status = await dispatch({ version: 1, verb: "get", noun: "status" }, context);
    expect(status.code).toBe(251);
    expect(new TextDecoder().decode(status.data)).toContain("HTTP status 101 is not a whole number from 200 to 599");
  });

  test("HEAD runs the GET handler and drops its body, keeping its length; a head_* handler answers itself", async () => {
    const head = await dispatch({ version: 1, verb: "head", noun: "blob" }, context);
    expect({ data: head.data?.length, stream: head.stream, head: head.head }).toEqual({ data: 0, stream: undefined, head: { headers: [{ name: "content-length", value: "12" }] } });
    const custom = await dispatch({ version: 1, verb: "head", noun: "custom" }, context);
    expect(custom.head).toEqual({ headers: [{ name: "content-length", value: "99" }] });
    expect((await dispatch({ version: 1, verb: "head", noun: "nothing" }, context)).code).toBe(255);
  });
});

describe("the front and a reply head", () => {
  const data = new TextEncoder().encode("0123456789");

  test("status and allow-listed headers become the response's; Content-Length stays the body's", async () => {
    const response = replyResponse({ code: 0, mimetype: "text/plain", data, httpStatus: 206, head: { headers: [{ name: "content-range", value: "bytes 0-9/100" }, { name: "content-length", value: "100" }] } }, "peer", "GET", "x");
    expect({ status: response.status, range: response.headers.get("content-range"), body: await response.text() }).toEqual({ status: 206, range: "bytes 0-9/100", body: "0123456789" });
  });

  test("HEAD: no body, the length the peer declared (or the body's); 304 has neither", async () => {
    const head = replyResponse({ code: 0, mimetype: "text/plain", data: new Uint8Array(0), head: { headers: [{ name: "content-length", value: "1234" }] } }, "peer", "HEAD", "x");
    expect({ status: head.status, length: head.headers.get("content-length"), body: await head.text() }).toEqual({ status: 200, length: "1234", body: "" });
    const notModified = replyResponse({ code: 0, mimetype: "text/plain", data, httpStatus: 304, head: { headers: [{ name: "etag", value: '"v1"' }] } }, "peer", "GET", "x");
    expect({ status: notModified.status, etag: notModified.headers.get("etag"), body: await notModified.text() }).toEqual({ status: 304, etag: '"v1"', body: "" });
  });

  test("RestPipe's own codes keep their status whatever the peer says; the audit's status follows the reply's", () => {
    expect(replyResponse({ code: 251, mimetype: "application/json", data, httpStatus: 200 }, "peer", "GET", "x").status).toBe(500);
    expect([statusForReply({ code: 0, httpStatus: 404 }), statusForReply({ code: 251, httpStatus: 200 }), statusForReply({ code: 0, httpStatus: 99 }), statusForReply({ code: 0, httpStatus: 404, deniedByRule: 2 })]).toEqual([404, 500, 200, 403]);
  });

  test("a hostile head or status is that request's 502, naming the problem", () => {
    const hostile: EventReply[] = [
      { code: 0, head: { headers: [{ name: "set-cookie", value: "a=b" }] } },
      { code: 0, head: { headers: [{ name: "etag", value: "a\r\nx-evil: 1" }] } },
      { code: 0, head: { headers: Array.from({ length: 17 }, () => ({ name: "vary", value: "x" })) } },
      { code: 0, head: { headers: [{ name: "content-length", value: "-1" }] } },
      { code: 0, httpStatus: 101 },
      { code: 0, httpStatus: 600 },
    ];
    const problems = hostile.map((reply) => {
      try {
        replyResponse(reply, "peer", "GET", "x");
        return "accepted";
      } catch (error) {
        expect(error).toBeInstanceOf(PeerReplyError);
        return (error as Error).message;
      }
    });
    const expected = [
      'the reply header "set-cookie" is not one a reply may set',
      "the etag header holds a control character",
      "17 reply headers exceed the limit of 16",
      'content-length "-1"',
      "HTTP status 101 is not a whole number from 200 to 599",
      "HTTP status 600",
    ];
    expect(problems.map((problem, i) => problem.includes(expected[i]!) || problem)).toEqual(expected.map(() => true));
  });
});
