/**
 * Issue 12 item 6 over the in-memory transport: peers of this implementation
 * tell each other their frame limits in heartbeats, and the sender refuses
 * what the receiver would refuse (413 at the front, a 251 reply for a
 * handler's reply) instead of the receiver closing the pipe. An original v1
 * peer says nothing, so its limit is unknown and it judges for itself.
 */
import { afterEach, expect, test } from "bun:test";
import { Pipe, type PipeOptions } from "../../src/pipe/index.ts";
import { FrameTooLargeError, ReplyCode } from "../../src/wire/index.ts";
import { memoryPair, settle } from "../support/index.ts";

const MiB = 1024 * 1024;
const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function pair(a: Partial<PipeOptions>, b: Partial<PipeOptions>) {
  const [ta, tb] = memoryPair();
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, onEvent: () => ({ mimetype: "x", code: 0 }) };
  const pa = new Pipe(ta, { peer: { name: "bob", remoteAddress: "memory:b" }, ...base, ...a });
  const pb = new Pipe(tb, { peer: { name: "alice", remoteAddress: "memory:a" }, ...base, ...b });
  opened.push(pa, pb);
  return { pa, pb };
}

test("each side learns the other's frame limit from the first heartbeat", async () => {
  const { pa, pb } = pair({ maxFrameBytes: 4 * MiB }, { maxFrameBytes: MiB });
  expect(pa.peerMaxFrameBytes).toBeUndefined();
  await settle();
  expect(pa.peerMaxFrameBytes).toBe(MiB);
  expect(pb.peerMaxFrameBytes).toBe(4 * MiB);
});

test("an event over the peer's limit is refused locally, naming the peer's setting and side; the pipe stays up", async () => {
  const { pa } = pair({ maxFrameBytes: 4 * MiB, peerFrameSetting: "RP_CLIENT_MAX_FRAME_BYTES on the client" }, { maxFrameBytes: MiB });
  await settle();
  const refused = await pa.request({ verb: "post", noun: "up", data: new Uint8Array(2 * MiB) }).catch((error: Error) => error);
  expect(refused).toBeInstanceOf(FrameTooLargeError);
  expect((refused as Error).message).toMatch(
    /^Cannot send event: body length 20971\d\d exceeds the maximum of 1048576 bytes that bob accepts; set RP_CLIENT_MAX_FRAME_BYTES on the client \(and its MAX_BODY_BYTES\) to allow more$/,
  );
  expect(pa.status.state).toBe("open");
  expect((await pa.request({ verb: "get", noun: "small" })).code).toBe(0);
});

test("a reply over the requester's limit becomes a 251 reply naming the limit; the pipe stays up", async () => {
  const { pa, pb } = pair(
    { maxFrameBytes: MiB },
    { maxFrameBytes: 4 * MiB, onEvent: () => ({ mimetype: "application/octet-stream", code: 0, data: new Uint8Array(2 * MiB) }), peerFrameSetting: "RP_SERVER_MAX_FRAME_BYTES on the server" },
  );
  await settle();
  // Between peers that take streams the reply is streamed, and no frame limit applies.
  const streamed = await pa.request({ verb: "get", noun: "big" });
  expect([streamed.code, (await new Response(streamed.stream).arrayBuffer()).byteLength]).toEqual([0, 2 * MiB]);
  pb.peerCapabilities = new Set(["goaway"]); // as if the requester took whole bodies only
  const reply = await pa.request({ verb: "get", noun: "big" });
  expect(reply.code).toBe(ReplyCode.HandlerError);
  expect(JSON.parse(new TextDecoder().decode(reply.data)).exception.message).toMatch(
    /^Cannot send reply: body length 20971\d\d exceeds the maximum of 1048576 bytes that alice accepts; set RP_SERVER_MAX_FRAME_BYTES on the server/,
  );
  expect(pa.status.state).toBe("open");
  expect(pb.status.state).toBe("open");
});
