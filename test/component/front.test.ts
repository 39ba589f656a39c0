/**
 * The front's limits, names, token and error texts, over two pipes joined by
 * an in-memory transport: the exact status and message at each boundary and
 * one past it. Deadlines run in virtual time.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createDispatcher, type HandlerContext, type RequestBody } from "../../src/dispatch/index.ts";
import { createFront, eventHandler, type FrontOptions } from "../../src/http/index.ts";
import { Pipe, PipeRegistry, type InboundHandler, type PipeOptions } from "../../src/pipe/index.ts";
import { FakeClock, memoryPair, recordingLogger, settle, waitUntil } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

const handlers = {
  post_size(_ctx: HandlerContext, body: RequestBody) {
    return { bytes: (body.data as Uint8Array).length };
  },
  get_time() {
    return { time: 1 };
  },
  get_fail() {
    throw new Error("ENOENT: no such file or directory, open '/srv/secret/report.txt'");
  },
};

interface LinkOptions {
  readonly onEvent?: InboundHandler;
  readonly debug?: boolean;
  readonly local?: Partial<PipeOptions>;
  readonly remote?: Partial<PipeOptions>;
  readonly front?: Partial<FrontOptions>;
}

/** A client front whose pipe leads to a peer answering with `handlers` (or `onEvent`). */
function link(options: LinkOptions = {}) {
  const [ta, tb] = memoryPair();
  const quiet = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
  const onEvent = options.onEvent ?? createDispatcher(handlers, { debug: options.debug ?? false });
  const local = new Pipe(ta, { peer: { name: "server", remoteAddress: "memory:server" }, onEvent, ...quiet, ...options.local });
  const remote = new Pipe(tb, { peer: { name: "client", remoteAddress: "memory:client" }, onEvent, ...quiet, ...options.remote });
  opened.push(local, remote);
  const app = createFront({ role: "client", acquire: async () => local, maxBodyBytes: 1024, requestTimeoutMs: 60_000, ...options.front });
  const send = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
  return { local, remote, send };
}

async function outcome(response: Response) {
  return {
    status: response.status,
    code: response.headers.get("x-event-return-code"),
    body: (await response.json()) as unknown,
  };
}

/** A body of `n` bytes sent without Content-Length (chunked), and whether the front pulled from it. */
function streamed(n: number) {
  const state = { pulled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulled = true;
        controller.enqueue(new Uint8Array(n));
        controller.close();
      },
    },
    { highWaterMark: 0 }, // pulled only when the front reads
  );
  return { body, state };
}

/** A POST of `n` bytes with Content-Length, as an HTTP server hands it over (`new Request` does not add the header). */
function sized(n: number): RequestInit {
  return { method: "POST", body: new Uint8Array(n), headers: { "content-length": String(n) } };
}

describe("body size (maxBodyBytes 1024)", () => {
  test("Content-Length at the limit is carried; one past it is 413 with the limit named, and Connection: close", async () => {
    const { send } = link();
    const at = await send("/server/size", sized(1024));
    expect(await outcome(at)).toEqual({ status: 200, code: "0", body: { bytes: 1024 } });
    const past = await send("/server/size", sized(1025));
    expect(past.headers.get("connection")).toBe("close");
    expect(await outcome(past)).toEqual({
      status: 413,
      code: "252",
      body: { error: "Cannot accept request body: Content-Length 1025 exceeds the limit of 1024 bytes" },
    });
  });

  test("a declared length over the limit is answered before any body byte is read", async () => {
    const { send } = link();
    const { body, state } = streamed(1025);
    const response = await send("/server/size", { method: "POST", body, headers: { "content-length": "1025" } });
    expect(response.status).toBe(413);
    expect(state.pulled).toBe(false);
  });

  test("to an original v1 peer (whole bodies only), a chunked body at the limit is carried; one past it is 413", async () => {
    const { send, local } = link();
    await settle();
    local.peerCapabilities = new Set(); // what an original peer announces: nothing
    expect(await outcome(await send("/server/size", { method: "POST", body: streamed(1024).body }))).toEqual({
      status: 200,
      code: "0",
      body: { bytes: 1024 },
    });
    expect(await outcome(await send("/server/size", { method: "POST", body: streamed(1025).body }))).toEqual({
      status: 413,
      code: "252",
      body: { error: "Cannot accept request body: more than the limit of 1024 bytes" },
    });
  });

  test("to a peer that takes streams, a body over the whole-body limit is streamed; RP_X_MAX_STREAM_BYTES bounds it", async () => {
    const { send } = link({ front: { maxStreamBytes: 100_000 } });
    await settle();
    expect(await outcome(await send("/server/size", { method: "POST", body: streamed(90_000).body }))).toEqual({ status: 200, code: "0", body: { bytes: 90_000 } });
    const declared = await send("/server/size", { method: "POST", body: streamed(100_001).body, headers: { "content-length": "100001" } });
    expect(await outcome(declared)).toEqual({
      status: 413,
      code: "252",
      body: { error: "Cannot accept request body: Content-Length 100001 exceeds the limit of 100000 bytes; set RP_CLIENT_MAX_STREAM_BYTES to allow more" },
    });
  });
});

describe("requests in flight per pipe", () => {
  test("at maxInFlight requests are carried; one past it is 503 with Retry-After", async () => {
    const held: Array<() => void> = [];
    const onEvent: InboundHandler = () => new Promise((resolve) => held.push(() => resolve({ mimetype: "text/plain", code: 0, data: new Uint8Array(0) })));
    const { local, send } = link({ onEvent, local: { maxInFlight: 2 } });
    const first = [send("/server/a"), send("/server/b")];
    await waitUntil(() => held.length === 2, "both requests reach the handler");
    expect(local.inFlight).toBe(2);
    const past = await send("/server/c");
    expect(past.headers.get("retry-after")).toBe("1");
    expect(await outcome(past)).toEqual({
      status: 503,
      code: "250",
      body: { error: "Cannot send request: 2 requests to server are already in flight (the limit)" },
    });
    for (const release of held) release();
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
  });

  test("a peer at its inbound limit answers 250: 503 with Retry-After", async () => {
    const held: Array<() => void> = [];
    const onEvent: InboundHandler = () => new Promise((resolve) => held.push(() => resolve({ mimetype: "text/plain", code: 0, data: new Uint8Array(0) })));
    const { send } = link({ onEvent, remote: { maxInboundInFlight: 1 } });
    const first = send("/server/a");
    await waitUntil(() => held.length === 1, "the request reaches the handler");
    const past = await send("/server/b");
    expect(past.headers.get("retry-after")).toBe("1");
    expect(await outcome(past)).toEqual({ status: 503, code: "250", body: { error: "unavailable: 1 events already in flight" } });
    held[0]!();
    expect((await first).status).toBe(200);
  });
});

describe("request deadline (virtual time)", () => {
  test("a reply 1 ms before the deadline is carried; none by the deadline is 504", async () => {
    const clock = new FakeClock();
    const after = (ms: number) => () =>
      new Promise<{ mimetype: string; code: number; data: Uint8Array }>((resolve) =>
        clock.setTimeout(() => resolve({ mimetype: "text/plain", code: 0, data: new TextEncoder().encode("late?") }), ms),
      );
    for (const [ms, expected] of [
      [499, { status: 200, text: "late?" }],
      [500, { status: 504, text: JSON.stringify({ error: "Cannot complete request: no reply from server within 500 ms" }) }],
    ] as const) {
      const { local } = link({ onEvent: after(ms), local: { clock }, remote: { clock } });
      const handle = eventHandler({ role: "client", acquire: async () => local, maxBodyBytes: 1024, requestTimeoutMs: 500 });
      const pending = handle(new Request("http://localhost/server/slow"));
      await clock.advance(500);
      const response = await pending;
      expect({ status: response.status, text: await response.text() }).toEqual(expected);
    }
  });
});

describe("bearer token", () => {
  const token = "s3cret-token";

  test.each<[string, Record<string, string>, string]>([
    ["no Authorization header", {}, "Cannot accept request: it needs an Authorization: Bearer <token> header"],
    ["another scheme", { authorization: `Basic ${btoa(`u:${token}`)}` }, "Cannot accept request: it needs an Authorization: Bearer <token> header"],
    ["a prefix of the token", { authorization: `Bearer ${token.slice(0, -1)}` }, "Cannot accept request: the bearer token is wrong"],
    ["the token and more", { authorization: `Bearer ${token}x` }, "Cannot accept request: the bearer token is wrong"],
    ["another case", { authorization: `Bearer ${token.toUpperCase()}` }, "Cannot accept request: the bearer token is wrong"],
  ])("%s is 401 with WWW-Authenticate", async (_what, headers, message) => {
    const { send } = link({ front: { token } });
    const response = await send("/server/time", { headers });
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="restpipe"');
    expect(await outcome(response)).toEqual({ status: 401, code: "252", body: { error: message } });
  });

  test("the token is checked before the path or the method: nothing else is revealed", async () => {
    const { send } = link({ front: { token } });
    expect((await send("/elsewhere")).status).toBe(401);
    expect((await send("/server/time", { method: "OPTIONS" })).status).toBe(401);
  });

  test("the right token is 200", async () => {
    const { send } = link({ front: { token } });
    expect(await outcome(await send("/server/time", { headers: { authorization: `Bearer ${token}` } }))).toEqual({
      status: 200,
      code: "0",
      body: { time: 1 },
    });
  });
});

describe("names", () => {
  test("nothing inherited from Object.prototype is dispatched, even when it is polluted", async () => {
    const { send } = link();
    const prototype = Object.prototype as Record<string, unknown>;
    prototype["get_polluted"] = () => "pwned";
    try {
      for (const noun of ["polluted", "constructor", "__proto__", "toString", "hasOwnProperty", "__defineGetter__", "prototype"]) {
        const response = await send(`/server/${noun}`);
        expect({ noun, status: response.status, code: response.headers.get("x-event-return-code") }).toEqual({ noun, status: 404, code: "255" });
      }
    } finally {
      delete prototype["get_polluted"];
    }
  });

  test("a client name is matched exactly: another case is another client; an encoded slash is 400", async () => {
    const { local } = link();
    const registry = new PipeRegistry();
    registry.add(local, "file-server");
    const app = createFront({ role: "server", acquire: (peer, signal) => registry.acquire(peer ?? "", 0, signal), maxBodyBytes: 1024, requestTimeoutMs: 60_000 });
    const send = (path: string) => app.handle(new Request(`http://localhost${path}`)).then(outcome);
    expect(await send("/client/file-server/time")).toEqual({ status: 200, code: "0", body: { time: 1 } });
    expect(await send("/client/File-Server/time")).toEqual({ status: 503, code: "250", body: { error: 'Cannot reach "File-Server": not connected (waited 0 s)' } });
    expect(await send("/client/file-server%2Ftime/x")).toEqual({
      status: 400,
      code: "252",
      body: { error: 'Cannot read client name "file-server/time": a slash or backslash (even percent-encoded) is not allowed' },
    });
  });

  test("%00 and an over-long noun are 400 through the front", async () => {
    const { send } = link();
    expect((await outcome(await send("/server/a%00"))).status).toBe(400);
    expect((await send(`/server/${"t".repeat(2048)}`)).status).toBe(404); // within the limit: no such handler
    expect(await outcome(await send(`/server/${"t".repeat(2049)}`))).toEqual({
      status: 400,
      code: "252",
      body: { error: "Cannot accept noun: 2049 bytes exceeds the limit of 2048" },
    });
  });
});

describe("no leaks", () => {
  test("a handler error: no stack and no paths without DEBUG; both with it", async () => {
    const quiet = await outcome(await link().send("/server/fail"));
    expect(quiet).toEqual({
      status: 500,
      code: "251",
      body: { exception: { message: "ENOENT: no such file or directory, open '<path>'", class: "Error" } },
    });
    const debug = (await outcome(await link({ debug: true }).send("/server/fail"))).body as { exception: Record<string, string> };
    expect(debug.exception["message"]).toContain("/srv/secret/report.txt");
    expect(debug.exception["stack"]).toContain("front.test.ts");
  });

  test("the front's own failure says only 'internal error in the front'; the log has the detail", async () => {
    const { log, records } = recordingLogger();
    const app = createFront({
      role: "client",
      acquire: () => Promise.reject(new TypeError("x is undefined in /opt/restpipe/src/secret.ts")),
      maxBodyBytes: 1024,
      requestTimeoutMs: 1000,
      log,
    });
    const response = await app.handle(new Request("http://localhost/server/time"));
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({ status: 500, text: JSON.stringify({ error: "internal error in the front" }) });
    expect(records).toEqual([
      { level: "error", msg: "front request failed", fields: { url: "http://localhost/server/time", error: "TypeError: x is undefined in /opt/restpipe/src/secret.ts" } },
    ]);
  });
});
