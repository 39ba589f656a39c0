/** Issue 13 item 7: the side that closes a pipe for a reason tells its peer first (GoAway with the reason, as yamux does). */
import { afterEach, expect, test } from "bun:test";
import { HeartbeatTimeoutError, PeerClosedError, Pipe } from "../../src/pipe/index.ts";
import { Capability } from "../../src/wire/index.ts";
import { memoryPair, waitUntil } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

/** Two pipes of this implementation that have exchanged their first heartbeats (so each knows the other understands GoAway). */
async function connected() {
  const [ta, tb] = memoryPair();
  const options = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, onEvent: () => ({ mimetype: "", code: 0, data: new Uint8Array(0) }) };
  const a = new Pipe(ta, { ...options, peer: { name: "b", remoteAddress: "memory:b" } });
  const b = new Pipe(tb, { ...options, peer: { name: "a", remoteAddress: "memory:a" } });
  opened.push(a, b);
  await waitUntil(() => a.peerCapabilities.has(Capability.GoAway) && b.peerCapabilities.has(Capability.GoAway), "capabilities exchanged");
  return { a, b, ta };
}

test("closed for a reason (a replacement, a revocation): the peer's pipe ends with that reason", async () => {
  const { a, b } = await connected();
  a.close(new Error('replaced by a newer connection from "client-1"'));
  const error = await b.closed;
  expect(error).toBeInstanceOf(PeerClosedError);
  expect(error?.message).toBe('closed by the peer: replaced by a newer connection from "client-1"');
  expect((await a.closed)?.message).toBe('replaced by a newer connection from "client-1"');
});

test("a protocol error: the side that found it says what it was", async () => {
  const { a, b, ta } = await connected();
  ta.write(new Uint8Array([0x7e, 0, 0, 0, 0, 0, 0, 0, 0, 1])); // a frame type nobody defines, sent to b
  const seen = await b.closed;
  const error = await a.closed;
  expect(error?.message).toBe(`closed by the peer: ${seen?.message}`);
  expect(seen?.message).toMatch(/type/i);
});

test("a drain then a close: the peer hears 'shutting down'", async () => {
  const { a, b } = await connected();
  a.drain(1_000);
  await waitUntil(() => b.peerDraining, "GoAway arrived");
  a.close();
  expect((await b.closed)?.message).toBe("closed by the peer: shutting down");
});

test("a heartbeat timeout is told too (the peer may only have lost our side's traffic)", async () => {
  const { a, b } = await connected();
  a.close(new HeartbeatTimeoutError(10_000, "b"));
  expect((await b.closed)?.message).toStartWith("closed by the peer: Closing pipe: b sent nothing for 10000 ms");
});

test("a peer that never said anything: the plain words", async () => {
  const [ta, tb] = memoryPair();
  const b = new Pipe(tb, { peer: { name: "a", remoteAddress: "memory:a" }, heartbeatIntervalMs: 0, onEvent: () => ({ mimetype: "", code: 0 }) });
  opened.push(b);
  ta.start({ data: () => {}, drain: () => {}, closed: () => {} });
  ta.close();
  expect((await b.closed)?.message).toBe("connection closed by the peer");
});
