/**
 * Hostile HTTP to the compiled fronts, written by hand over TCP: request
 * targets as written, bodies announced but not sent, limits at the boundary
 * and one past it (small limits set through the environment), and the
 * front's idle and header timeouts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  FIXTURE_HANDLERS,
  makeTestPki,
  rawConnect,
  rawRequest,
  startConnectedPair,
  type ClientProcess,
  type RawResponse,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("edge"), {
    serverEnv: {
      RP_SERVER_MAX_BODY_BYTES: "1024",
      RP_SERVER_MAX_STREAM_BYTES: "1024", // between these nodes large bodies are streamed: bound them too
      RP_SERVER_MAX_IN_FLIGHT: "2",
      RP_SERVER_REQUEST_TIMEOUT_S: "0.5",
      RP_SERVER_CLIENT_WAIT_S: "0.2",
      RP_SERVER_HTTP_IDLE_TIMEOUT_S: "1",
    },
    clientEnv: { RP_EVENT_HANDLER: FIXTURE_HANDLERS, RP_CLIENT_MAX_BODY_BYTES: "1024", RP_CLIENT_MAX_STREAM_BYTES: "1024" },
  }));
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

function summary(response: RawResponse) {
  return { status: response.status, body: response.body };
}

const error = (message: string) => JSON.stringify({ error: message });

describe("request targets as written (Bun resolves dot segments before the front sees them)", () => {
  test("raw and %2e dot segments are resolved by Bun: the front sees the resolved path", async () => {
    // Bun 1.4.4 turns /client/edge/x/../time into /client/edge/time (WHATWG URL rules), %2e%2e included.
    expect((await rawRequest(server.http, "GET /client/edge/x/../time")).status).toBe(200);
    expect(summary(await rawRequest(server.http, "GET /client/edge/%2e%2e/%2E%2e/time"))).toEqual({
      status: 404,
      body: error("No route for /time: events go to /client/<client-name>/<noun>"),
    });
    expect(summary(await rawRequest(client.http, "GET /server/x/.%2e/time"))).toMatchObject({ status: 200 });
  });

  test("dot segments behind encoded slashes reach the front, which answers 400", async () => {
    expect(summary(await rawRequest(server.http, "GET /client/edge/cat//..%2F..%2Fetc%2Fpasswd"))).toEqual({
      status: 400,
      body: error('Cannot accept noun "cat//..%2F..%2Fetc%2Fpasswd": dot segments are not allowed'),
    });
    expect((await rawRequest(client.http, "GET /server/cat//%2e%2e%5Cwin.ini")).status).toBe(400);
  });

  test("%2F in a client name is 400; a name that differs only in case is another (absent) client", async () => {
    expect(summary(await rawRequest(server.http, "GET /client/edge%2F..%2Fother/time"))).toEqual({
      status: 400,
      body: error('Cannot read client name "edge/../other": a slash or backslash (even percent-encoded) is not allowed'),
    });
    const otherCase = summary(await rawRequest(server.http, "GET /client/EDGE/time"));
    expect(otherCase.status).toBe(503);
    expect(otherCase.body).toMatch(/^\{"error":"Cannot reach \\"EDGE\\": not connected \(waited 0\.[2-9] s\)"\}$/); // the wait is 0.2 s; timers run late under load
  });

  test("%00 is 400 from the front; a raw control character is refused by Bun itself (505)", async () => {
    expect(summary(await rawRequest(client.http, "GET /server/a%00b"))).toEqual({
      status: 400,
      body: error('Cannot accept noun "a%00b": NUL and control characters are not allowed'),
    });
    expect((await rawRequest(client.http, "GET /server/a\u0001b")).status).toBe(505);
  });

  test("constructor and __proto__ are no handlers", async () => {
    for (const noun of ["constructor", "__proto__", "toString"]) {
      const response = await rawRequest(server.http, `GET /client/edge/${noun}`);
      expect([noun, response.status, response.headers["x-event-return-code"]]).toEqual([noun, 404, "255"]);
    }
  });
});

describe("body size (RP_X_MAX_BODY_BYTES=1024 for whole bodies, RP_X_MAX_STREAM_BYTES=1024 for streamed ones)", () => {
  test("1024 bytes are carried; 1025 announced is 413 at once, without sending the body, and the connection closes", async () => {
    const at = await rawRequest(server.http, "POST /client/edge/bytes", { "content-type": "application/octet-stream", "content-length": "1024" }, "x".repeat(1024));
    expect([at.status, at.body.length]).toEqual([200, 1024]);
    const connection = await rawConnect(server.http);
    connection.write(`POST /client/edge/bytes HTTP/1.1\r\nhost: x.test\r\ncontent-length: 1025\r\n\r\n`); // and no body
    const past = await connection.response();
    expect(summary(past)).toEqual({ status: 413, body: error("Cannot accept request body: Content-Length 1025 exceeds the limit of 1024 bytes") });
    expect(past.headers["x-event-return-code"]).toBe("252");
    await connection.closed;
  });

  test("any larger Content-Length gets the front's 413 too, not a bare one", async () => {
    const response = await rawRequest(server.http, "POST /client/edge/bytes", { "content-length": "1000000000" });
    expect(summary(response)).toEqual({
      status: 413,
      body: error("Cannot accept request body: Content-Length 1000000000 exceeds the limit of 1024 bytes; set RP_SERVER_MAX_STREAM_BYTES to allow more"),
    });
  });

  test("a chunked body (streamed) of 1024 bytes is carried; 1025 is 413", async () => {
    const chunked = (n: number) => `${n.toString(16)}\r\n${"y".repeat(n)}\r\n0\r\n\r\n`;
    const headers = { "content-type": "application/octet-stream", "transfer-encoding": "chunked" };
    expect((await rawRequest(client.http, "POST /server/bytes", headers, chunked(1024))).status).toBe(404); // carried: the server has no bytes handler
    expect(summary(await rawRequest(client.http, "POST /server/bytes", headers, chunked(1025)))).toEqual({
      status: 413,
      body: error("Cannot send body: more than the limit of 1024 bytes (RP_X_MAX_STREAM_BYTES)"),
    });
  });
});

describe("requests in flight (RP_SERVER_MAX_IN_FLIGHT=2) and the deadline (RP_SERVER_REQUEST_TIMEOUT_S=0.5)", () => {
  test("two in flight are carried; the third is 503 with Retry-After", async () => {
    const slow = [fetch(`${server.http}/client/edge/sleep//300`), fetch(`${server.http}/client/edge/sleep//300`)];
    let third = await fetch(`${server.http}/client/edge/time`);
    // Polls until both slow ones are in flight (bounded: they take 300 ms).
    for (let tries = 0; third.status === 200 && tries < 50; tries++) third = await fetch(`${server.http}/client/edge/time`);
    expect([third.status, third.headers.get("retry-after"), await third.json()]).toEqual([
      503,
      "1",
      { error: "Cannot send request: 2 requests to edge are already in flight (the limit)" },
    ]);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
  });

  test("a reply within the deadline is 200; none by the deadline is 504", async () => {
    expect((await fetch(`${server.http}/client/edge/sleep//50`)).status).toBe(200);
    const late = await fetch(`${server.http}/client/edge/sleep//1500`);
    expect([late.status, late.headers.get("x-event-return-code"), await late.json()]).toEqual([
      504,
      "253",
      { error: "Cannot complete request: no reply from edge within 500 ms" },
    ]);
  });
});

describe("front timeouts", () => {
  test("idle keep-alive (RP_SERVER_HTTP_IDLE_TIMEOUT_S=1) and unfinished headers (Bun's fixed ~10 s) are closed", async () => {
    const idle = await rawConnect(server.http);
    idle.write("GET /client/edge/time HTTP/1.1\r\nhost: x.test\r\n\r\n");
    expect((await idle.response()).status).toBe(200);
    const partial = await rawConnect(server.http);
    partial.write("GET /client/edge/time HTTP/1.1\r\nhost: x.test\r\n"); // never finished
    const idleAfter = await idle.closed;
    // Bun checks idle timers every 4 s or so.
    expect(idleAfter).toBeGreaterThanOrEqual(900); // was ${idleAfter}
    expect(idleAfter).toBeLessThan(8_000);
    const partialAfter = await partial.closed;
    expect(partialAfter).toBeGreaterThanOrEqual(9_000); // was ${partialAfter}
    expect(partialAfter).toBeLessThan(16_000);
  }, 25_000);
});
