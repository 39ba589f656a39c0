/**
 * The seed's walkthrough on the compiled binaries: real processes, real mTLS
 * on 127.0.0.1, real HTTP to the fronts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import {
  makeTestPki,
  startClientProcess,
  startConnectedPair,
  startServerProcess,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

const FIXTURE_HANDLERS = resolve(import.meta.dir, "../fixtures/handlers.ts");

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("file-server"), { serverEnv: { RP_SERVER_CLIENT_WAIT_S: "0.3" } }));
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

async function getJson(url: string): Promise<{ status: number; code: string | null; type: string | null; body: unknown }> {
  const response = await fetch(url);
  return {
    status: response.status,
    code: response.headers.get("x-event-return-code"),
    type: response.headers.get("content-type"),
    body: await response.json(),
  };
}

describe("the seed's four curl examples", () => {
  test("client → /server/time", async () => {
    const before = Date.now() / 1000;
    const reply = await getJson(`${client.http}/server/time`);
    expect(reply).toMatchObject({ status: 200, code: "0", type: "application/json" });
    const time = (reply.body as { time_from_server: number }).time_from_server;
    expect(time).toBeGreaterThan(before - 5);
    expect(time).toBeLessThan(before + 5);
  });

  test("client → /server/cat//hello%20/world", async () => {
    expect((await getJson(`${client.http}/server/cat//hello%20/world`)).body).toEqual({ result_from_server: "hello world" });
  });

  test("server → /client/<cn>/time", async () => {
    const reply = await getJson(`${server.http}/client/file-server/time`);
    expect(reply).toMatchObject({ status: 200, code: "0" });
    expect(Object.keys(reply.body as object)).toEqual(["time_from_client"]);
  });

  test("server → /client/<cn>/cat//hello%20/world", async () => {
    expect((await getJson(`${server.http}/client/file-server/cat//hello%20/world`)).body).toEqual({ result_from_client: "hello world" });
  });
});

describe("errors on the compiled binaries", () => {
  test("a missing handler is 404 with code 255", async () => {
    const response = await fetch(`${server.http}/client/file-server/no/such/thing`);
    expect(response.status).toBe(404);
    expect(response.headers.get("x-event-return-code")).toBe("255");
  });

  test("an unknown CN is 503 after the (shortened) wait, with a JSON error naming it", async () => {
    const started = performance.now();
    const reply = await getJson(`${server.http}/client/nobody/time`);
    const elapsed = performance.now() - started;
    expect(reply.status).toBe(503);
    expect(reply.body).toEqual({ error: 'Cannot reach "nobody": not connected (waited 0.3 s)' });
    expect(elapsed).toBeGreaterThanOrEqual(290); // elapsed was ${elapsed}
  });

  test("a CN that differs only in case is another client", async () => {
    expect((await fetch(`${server.http}/client/File-Server/time`)).status).toBe(503);
  });
});

describe("a user handler module loaded by the binaries", () => {
  let fixtureServer: ServerProcess;
  let fixtureClient: ClientProcess;

  beforeAll(async () => {
    fixtureServer = await startServerProcess(pki.server.dir, { RP_EVENT_HANDLER: FIXTURE_HANDLERS });
    const identity = await pki.client("fixture-client");
    fixtureClient = await startClientProcess(identity.dir, fixtureServer.pipePort, { RP_EVENT_HANDLER_FQ_CLASS: FIXTURE_HANDLERS });
    await fixtureServer.proc.waitForMessage("client connected", { client: "fixture-client" });
  });

  afterAll(async () => {
    await Promise.all([fixtureClient?.proc.stop(), fixtureServer?.proc.stop()]);
  });

  test("a JSON POST round trip, both ways, through an async handler", async () => {
    const payload = { name: "a.txt", size: 3, nested: [1, { x: null }] };
    const post = (url: string) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }).then((r) => r.json());
    expect(await post(`${fixtureServer.http}/client/fixture-client/echo?q=1`)).toEqual({
      received: payload,
      mimetype: "application/json",
      from: "localhost",
      query: "1",
    });
    expect(await post(`${fixtureClient.http}/server/echo`)).toEqual({
      received: payload,
      mimetype: "application/json",
      from: "fixture-client",
      query: null,
    });
  });

  test("a binary body (bytes 0-255) both ways", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const url of [`${fixtureServer.http}/client/fixture-client/bytes`, `${fixtureClient.http}/server/bytes`]) {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
      expect(response.headers.get("content-type")).toBe("application/octet-stream");
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    }
  });

  test("a handler that throws is 500 with code 251 and the exception", async () => {
    const response = await fetch(`${fixtureServer.http}/client/fixture-client/fail`);
    expect(response.status).toBe(500);
    expect(response.headers.get("x-event-return-code")).toBe("251");
    expect(await response.json()).toEqual({ exception: { message: "fixture failure", class: "RangeError" } });
  });

  test("the start-up log names the module and its handlers", async () => {
    const record = await fixtureClient.proc.waitForMessage("handlers loaded");
    expect(record["module"]).toBe(FIXTURE_HANDLERS);
    expect(String(record["handlers"]).split(" ")).toEqual(["get_blob", "get_broken", "get_context", "get_fail", "get_gen", "get_genstats", "get_localfile", "get_page", "get_secrets", "get_sleep", "get_time", "get_whoami", "head_page", "post_bytes", "post_echo", "post_sha"]);
  });
});

describe("a front on a unix socket", () => {
  test("the client front answers over --http unix:/path", async () => {
    const socketPath = resolve(pki.dir, "client-front.sock");
    const identity = await pki.client("unix-client");
    const unixClient = await startClientProcess(identity.dir, server.pipePort, {}, ["--http", `unix:${socketPath}`]);
    try {
      expect(unixClient.http).toBe(`unix:${socketPath}`);
      expect(statSync(socketPath).mode & 0o777).toBe(0o600); // only this user may connect
      await server.proc.waitForMessage("client connected", { client: "unix-client" });
      const response = await fetch("http://localhost/server/cat//via/%20unix", { unix: socketPath });
      expect(await response.json()).toEqual({ result_from_server: "via unix" });
    } finally {
      await unixClient.proc.stop();
    }
  });

  test("RP_CLIENT_HTTP_SOCKET_MODE=0660 lets the socket's group connect (nginx in front)", async () => {
    const socketPath = resolve(pki.dir, "group-front.sock");
    const identity = await pki.client("group-client");
    const client = await startClientProcess(identity.dir, server.pipePort, { RP_CLIENT_HTTP_SOCKET_MODE: "0660" }, ["--http", `unix:${socketPath}`]);
    try {
      expect(statSync(socketPath).mode & 0o777).toBe(0o660);
    } finally {
      await client.proc.stop();
    }
  });
});
