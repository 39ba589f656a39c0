/**
 * Slowloris on the pipe port of the compiled server: 500 TCP connections
 * that never finish a TLS handshake (half send nothing, half a partial
 * ClientHello). Meanwhile a real client connects and serves requests in both
 * directions; the half-open connections are closed after the handshake
 * timeout (RP_SERVER_HANDSHAKE_TIMEOUT_S), each with a logged reason.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const HALF_OPEN = 500;
const TIMEOUT_S = 3;
/** A TLS record header announcing 512 bytes of handshake, and the start of a ClientHello: the rest never comes. */
const PARTIAL_CLIENT_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess | undefined;
const sockets: Socket[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir, {
    RP_SERVER_HANDSHAKE_TIMEOUT_S: String(TIMEOUT_S),
    RP_SERVER_MAX_PENDING_HANDSHAKES: String(HALF_OPEN * 2), // the cap is not what is tested here (see test/integration)
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

/** Opens one half-open connection; `closed` resolves with its close time in ms after open. */
async function halfOpen(index: number): Promise<{ closed: Promise<number> }> {
  const { promise, resolve } = Promise.withResolvers<number>();
  const opened = performance.now();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.pipePort,
    socket: {
      open: (s) => void (index % 2 === 1 && s.write(PARTIAL_CLIENT_HELLO)),
      data() {},
      close: () => resolve(performance.now() - opened),
    },
  });
  sockets.push(socket);
  return { closed: promise };
}

test(`${HALF_OPEN} connections that never finish the handshake do not keep a real client out, and are closed after the timeout`, async () => {
  const started = performance.now();
  const closes = (await Promise.all(Array.from({ length: HALF_OPEN }, (_, i) => halfOpen(i)))).map((c) => c.closed);
  let closedSoFar = 0;
  for (const close of closes) void close.then(() => closedSoFar++);

  client = await startClientProcess((await pki.client("real")).dir, server.pipePort);
  await server.proc.waitForMessage("client connected", { client: "real" });
  const toClient = await fetch(`${server.http}/client/real/cat//through/%20the/%20crowd`);
  expect(await toClient.json()).toEqual({ result_from_client: "through the crowd" });
  const toServer = await fetch(`${client.http}/server/cat//and/%20back`);
  expect(await toServer.json()).toEqual({ result_from_server: "and back" });
  const servedAfter = performance.now() - started;
  expect(servedAfter).toBeLessThan(TIMEOUT_S * 1000); // served while all were still pending; was ${servedAfter}
  expect(closedSoFar).toBe(0);

  const closedAfter = await Promise.all(closes);
  const [first, last] = [Math.min(...closedAfter), Math.max(...closedAfter)];
  expect(first).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 50); // was ${first}
  expect(last).toBeLessThan(TIMEOUT_S * 1000 + 3_000); // was ${last}
  const reason = `no TLS handshake within ${TIMEOUT_S * 1000} ms`;
  await server.proc.waitForLog(() => server.proc.logs.filter((r) => r.msg === "refused client connection" && r["reason"] === reason).length === HALF_OPEN);

  const again = await fetch(`${server.http}/client/real/time`);
  expect(again.status).toBe(200);
}, 20_000);
