/**
 * Issue 12 item 6 on the compiled binaries: a body limit raised on one side
 * only (before: the receiver closed the pipe as a protocol error, 502 for
 * everything in flight). Between two nodes of this implementation a large
 * body now crosses as a stream, which no frame limit bounds; a whole frame
 * over the peer's announced limit is refused by the sender (413 naming the
 * peer's setting: test/component/frame-limits.test.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { makeTestPki, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const HANDLERS = resolve(import.meta.dir, "../fixtures/handlers.ts");
const MiB = 1024 * 1024;
let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("lim"), {
    serverEnv: { RP_EVENT_HANDLER: HANDLERS, RP_SERVER_MAX_BODY_BYTES: "32MiB" },
    clientEnv: { RP_EVENT_HANDLER: HANDLERS, RP_CLIENT_MAX_BODY_BYTES: "16MiB" },
  }));
  await client.proc.waitForMessage("connected to the server");
});

afterAll(async () => {
  await client?.proc.stop("SIGKILL");
  await server?.proc.stop("SIGKILL");
  await pki?.cleanup();
});

test("a 20 MiB body to a client that accepts 16 MiB whole: it crosses as a stream, and the pipe stays up", async () => {
  const before = await fetch(`${server.http}/client/lim/time`);
  expect(before.status).toBe(200);
  const response = await fetch(`${server.http}/client/lim/sha`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(20 * MiB) });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { bytes: number }).bytes).toBe(20 * MiB);
  const after = await fetch(`${server.http}/client/lim/time`);
  expect(after.status).toBe(200);
  expect(server.proc.logs.filter((r) => r.msg === "closing pipe: protocol error from peer" || r.msg === "client disconnected")).toEqual([]);
  expect(client.proc.logs.filter((r) => r.msg === "closing pipe: protocol error from peer")).toEqual([]);
}, 30_000);
