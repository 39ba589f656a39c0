/**
 * Replies that the wire cannot carry, or that no RestPipe peer sends, fail
 * their own request and never the pipe: every other request on it is served.
 */
import { afterEach, expect, test } from "bun:test";
import { PeerReplyError, Pipe, type InboundHandler } from "../../src/pipe/index.ts";
import { decodeMessage, encodeFrame, encodeMessage, FrameDecoder, FrameType, ReplyCode, type EventReply } from "../../src/wire/index.ts";
import { memoryPair, settle } from "../support/index.ts";

const text = new TextEncoder();
const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function pipeWith(onEvent: InboundHandler) {
  const [ta, tb] = memoryPair();
  const options = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
  const a = new Pipe(ta, { peer: { name: "b", remoteAddress: "memory:b" }, onEvent: () => ({ code: 0, mimetype: "", data: new Uint8Array() }), ...options });
  const b = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, onEvent, ...options });
  opened.push(a, b);
  return { a, b };
}

test("an inbound handler answering code -1, 1.5, NaN, 2^32 or undefined: the request gets a 251, the pipe stays", async () => {
  const codes = [-1, 1.5, Number.NaN, 2 ** 32, undefined];
  const { a } = pipeWith((event) => ({ mimetype: "text/plain", code: codes[Number(event.noun)] as number, data: text.encode("x") }));
  const replies = await Promise.all(codes.map((_, i) => a.request({ verb: "get", noun: String(i) })));
  expect(replies.map((r) => r.code)).toEqual(Array(codes.length).fill(ReplyCode.HandlerError));
  const exception = JSON.parse(new TextDecoder().decode(replies[0]!.data)).exception;
  expect(exception.message).toStartWith("Cannot send the reply: ");
  expect(a.status.state).toBe("open");
});

test("a peer's reply without a code fails that request (PeerReplyError) and the pipe serves the next one", async () => {
  const [ta, tb] = memoryPair();
  const a = new Pipe(ta, { peer: { name: "raw", remoteAddress: "memory:raw" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
  opened.push(a);
  const decoder = new FrameDecoder();
  let answered = 0;
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type !== FrameType.Event) continue;
        const event = decodeMessage(frame).message as { noun?: string };
        const reply = { version: 1, mimetype: "text/plain", data: text.encode("r"), ...(event.noun === "bad" ? {} : { code: 0 }) } as EventReply;
        tb.write(encodeFrame(FrameType.EventReply, frame.id, encodeMessage({ type: FrameType.EventReply, message: reply })));
        answered++;
      }
    },
    drain: () => {},
    closed: () => {},
  });
  const bad = a.request({ verb: "get", noun: "bad" });
  expect(bad).rejects.toThrow(
    new PeerReplyError("raw", "an invalid reply (Cannot accept EventReply 1: code is missing)"),
  );
  await bad.catch(() => {});
  await settle();
  expect(a.status.state).toBe("open");
  expect((await a.request({ verb: "get", noun: "good" })).code).toBe(0);
  expect(answered).toBe(2);
});
