/**
 * The pipe port's handshake limits on a real Bun listener: connections that
 * never start TLS are cut after the handshake timeout; past the cap on
 * pending handshakes a new connection is cut at once. Either way the reason
 * is reported, and a real client gets in once the slots are free. And a
 * dial's local address (the swarm benchmark's source addresses) is used.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import type { RefusedConnection, TlsListener } from "../../src/runtime/index.ts";
import { makeTestPki, type TestPki } from "../support/index.ts";

const TIMEOUT_MS = 500;
const CAP = 5;
let pki: TestPki;
let listener: TlsListener;
const refused: RefusedConnection[] = [];
const accepted: string[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  listener = bunRuntime.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    identity: pki.server,
    handshakeTimeoutMs: TIMEOUT_MS,
    maxPendingHandshakes: CAP,
    onConnection: (transport) => {
      accepted.push(transport.peer.remoteAddress);
      transport.start({ data: () => {}, drain: () => {}, closed: () => {} });
    },
    onRefused: (connection) => refused.push(connection),
  });
});

afterAll(async () => {
  listener?.stop(true);
  await pki?.cleanup();
});

/** A plain TCP connection that never says anything; resolves its close time (ms after open). */
async function silentConnection(): Promise<{ socket: Socket; closedAfter: Promise<number> }> {
  const { promise, resolve } = Promise.withResolvers<number>();
  const opened = performance.now();
  const socket = await Bun.connect({ hostname: "127.0.0.1", port: listener.port, socket: { data() {}, close: () => resolve(performance.now() - opened) } });
  return { socket, closedAfter: promise };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error(`Cannot wait any longer for ${what}`);
    await Bun.sleep(5);
  }
}

test("at the cap a new connection is cut at once; the silent ones after the timeout; then a real client gets in", async () => {
  const silent = await Promise.all(Array.from({ length: CAP }, silentConnection));
  await until(() => listener.pendingHandshakes === CAP, `${CAP} pending handshakes`);
  const extra = await silentConnection();
  const cutAfter = await extra.closedAfter;
  expect(cutAfter).toBeLessThan(TIMEOUT_MS); // cut at once, was ${cutAfter} ms
  expect(refused.map((r) => r.reason)).toEqual([`${CAP} handshakes already pending (the limit)`]);

  const closedAfter = await Promise.all(silent.map((s) => s.closedAfter));
  for (const ms of closedAfter) {
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20); // timers may fire a little early; was ${ms}
    expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
  }
  expect(refused.slice(1).map((r) => r.reason)).toEqual(Array(CAP).fill(`no TLS handshake within ${TIMEOUT_MS} ms`));
  expect(refused.every((r) => /^127\.0\.0\.1:\d+$/.test(r.remoteAddress))).toBe(true);
  expect(listener.pendingHandshakes).toBe(0);

  const transport = await bunRuntime.connectTls({ hostname: "127.0.0.1", port: listener.port, identity: await pki.client("real"), serverName: "localhost", timeoutMs: 5_000 });
  await until(() => accepted.length === 1, "the real client");
  transport.close();
});

test("a dial from another loopback source address (localAddress) arrives from that address", async () => {
  const before = accepted.length;
  const transport = await bunRuntime.connectTls({
    hostname: "127.0.0.1",
    port: listener.port,
    identity: await pki.client("sourced"),
    serverName: "localhost",
    timeoutMs: 5_000,
    localAddress: "127.0.0.3",
  });
  await until(() => accepted.length === before + 1, "the client from 127.0.0.3");
  expect(accepted[before]).toMatch(/^127\.0\.0\.3:\d+$/);
  transport.close();
});
