/**
 * Issue 12 item 3 on the compiled binaries: 40 front connections ask for a
 * 16 MiB reply and never read it. With per-stream credit the server holds
 * about a window per caller, not the whole replies (before: +676 MB), and a
 * reader that does read is served meanwhile.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { resolve } from "node:path";
import { makeTestPki, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const HANDLERS = resolve(import.meta.dir, "../fixtures/handlers.ts");
const MiB = 1024 * 1024;
let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("files"), {
    serverEnv: { RP_EVENT_HANDLER: HANDLERS },
    clientEnv: { RP_EVENT_HANDLER: HANDLERS },
  }));
  // The handler builds its blob once. Connection: close, so that the measured fetch below does not pick a pooled
  // keep-alive connection (Bun's fetch reset one now and then while the 40 stalled callers held the front).
  await (await fetch(`${server.http}/client/files/blob//${16 * MiB}`, { headers: { connection: "close" } })).arrayBuffer();
});

afterAll(async () => {
  await client?.proc.stop("SIGKILL");
  await server?.proc.stop("SIGKILL");
  await pki?.cleanup();
});

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;

test("40 callers that never read a 16 MiB reply: server RSS grows at most 128 MiB, and a reading caller is served", async () => {
  const { port, hostname } = new URL(server.http);
  const before = rss(server.proc.pid);
  let peak = before;
  const sampling = setInterval(() => (peak = Math.max(peak, rss(server.proc.pid))), 50);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < 40; i++) {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.pause(); // never reads: the kernel buffers fill, then the server's front stops
      socket.write(`GET /client/files/blob//${16 * MiB} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
      sockets.push(socket);
    }
    await Bun.sleep(3_000);
    const started = performance.now();
    const response = await fetch(`${server.http}/client/files/blob//${16 * MiB}`);
    expect((await response.arrayBuffer()).byteLength).toBe(16 * MiB);
    const ms = performance.now() - started;
    await Bun.sleep(500);
    const growth = peak - before;
    console.log(`40 callers not reading 16 MiB each: server RSS +${(growth / MiB).toFixed(1)} MiB; a reading caller got its 16 MiB in ${ms.toFixed(0)} ms`);
    expect(growth).toBeLessThanOrEqual(128 * MiB); // was ${growth}
    expect(ms).toBeLessThan(10_000); // was ${ms}
  } finally {
    clearInterval(sampling);
    for (const socket of sockets) socket.destroy();
  }
}, 60_000);
