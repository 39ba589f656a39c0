/** The "small-records" capability: a pipe announcing it makes its peer ask its own transport for small TLS records. */
import { expect, test } from "bun:test";
import { Capability } from "../../src/wire/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { FakeClock, memoryPair, type MemoryTransport } from "../support/index.ts";

type Asking = MemoryTransport & { preferSmallRecords?: () => void };

function pair(capabilities?: readonly string[]) {
  const clock = new FakeClock();
  const [ta, tb] = memoryPair() as [Asking, Asking];
  const asked = { a: 0, b: 0 };
  ta.preferSmallRecords = () => void asked.a++;
  tb.preferSmallRecords = () => void asked.b++;
  const options = { onEvent: () => ({ code: 0 }), clock, heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 10_000 };
  const a = new Pipe(ta, { ...options, peer: { name: "server", remoteAddress: "memory" }, ...(capabilities === undefined ? {} : { capabilities }) });
  const b = new Pipe(tb, { ...options, peer: { name: "client", remoteAddress: "memory" } });
  return { a, b, asked, clock };
}

test("a client behind a proxy announces small-records; the server's transport is asked, the client's own is not", async () => {
  const { a, b, asked, clock } = pair([Capability.SmallRecords]);
  await clock.advance(0);
  expect([...b.peerCapabilities]).toEqual(["goaway", "event-ext", "stream", "caller-ctx", "reply-head", "small-records"]);
  expect(asked.b).toBeGreaterThanOrEqual(1);
  expect(asked.a).toBe(0);
  a.close();
  b.close();
});

test("without the capability nobody is asked", async () => {
  const { a, b, asked, clock } = pair();
  await clock.advance(10_000);
  expect(asked).toEqual({ a: 0, b: 0 });
  a.close();
  b.close();
});
