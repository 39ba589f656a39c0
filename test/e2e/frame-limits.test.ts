/**
 * Issue 12 item 6 on the compiled binaries: a body limit raised on one side
 * only. The larger side learns the other's frame limit from its heartbeat and
 * answers 413 for that one request, naming the other side's setting; the pipe
 * stays up (before: the receiver closed the pipe as a protocol error).
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

test("a 20 MiB body to a client that accepts 16 MiB: 413 naming the client's setting, and the pipe stays up", async () => {
  const before = await fetch(`${server.http}/client/lim/time`);
  expect(before.status).toBe(200);
  const response = await fetch(`${server.http}/client/lim/bytes`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: new Uint8Array(20 * MiB) });
  expect(response.status).toBe(413);
  expect(response.headers.get("x-event-return-code")).toBe("252");
  const { error } = (await response.json()) as { error: string };
  expect(error).toMatch(/^Cannot send event: body length 2097\d{4} exceeds the maximum of 16842752 bytes that lim accepts; set RP_CLIENT_MAX_FRAME_BYTES on the client \(and its MAX_BODY_BYTES\) to allow more$/);
  const after = await fetch(`${server.http}/client/lim/time`);
  expect(after.status).toBe(200);
  expect(server.proc.logs.filter((r) => r.msg === "closing pipe: protocol error from peer" || r.msg === "client disconnected")).toEqual([]);
  expect(client.proc.logs.filter((r) => r.msg === "closing pipe: protocol error from peer")).toEqual([]);
}, 30_000);
