/**
 * The fan-out route over in-memory pipes in virtual time: every outcome in
 * one answer (reply, handler error, 504, 502, offline 503), the shared
 * deadline (queued requests included), the concurrency cap, NDJSON lines as
 * they arrive, the body sent to each, and the bounds (413, matched 0).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createDispatcher, type HandlerContext, type RequestBody } from "../../src/dispatch/index.ts";
import { FanoutLimiter, RecentClients, RegistryDirectory, type FanoutEntry } from "../../src/fanout/index.ts";
import { createFront, fanoutHandler, type FanoutRouteOptions } from "../../src/http/index.ts";
import { Pipe, PipeRegistry } from "../../src/pipe/index.ts";
import { FakeClock, memoryPair, settle, type MemoryTransport } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

interface Answer {
  readonly matched: number;
  readonly answered: number;
  readonly results: Record<string, FanoutEntry>;
}

/** A server registry with one in-memory client pipe per `clients` entry, each answering with its own handlers. */
function fleet(clients: Record<string, { labels?: Record<string, string>; handlers: object }>, route: Partial<FanoutRouteOptions> = {}) {
  const clock = new FakeClock();
  const registry = new PipeRegistry(clock);
  const recent = new RecentClients(10, () => 1_800_000_000_000);
  recent.watch(registry);
  const transports = new Map<string, MemoryTransport>();
  const quiet = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, clock };
  for (const [name, spec] of Object.entries(clients)) {
    const [serverSide, clientSide] = memoryPair();
    const peer = { name, remoteAddress: `memory:${name}`, ...(spec.labels ? { labels: spec.labels } : {}) };
    const toClient = new Pipe(serverSide, { peer, onEvent: createDispatcher({}), ...quiet });
    const client = new Pipe(clientSide, { peer: { name: "server", remoteAddress: "memory:server" }, onEvent: createDispatcher(spec.handlers), ...quiet });
    opened.push(toClient, client);
    registry.add(toClient);
    transports.set(name, clientSide);
  }
  const limiter = route.limiter ?? new FanoutLimiter(1000);
  const handler = fanoutHandler({
    directory: new RegistryDirectory(registry, recent),
    limiter,
    maxFanout: 100,
    maxAnswerBytes: 1 << 20,
    maxBodyBytes: 1024,
    requestTimeoutMs: 60_000,
    clock,
    ...route,
  });
  const app = createFront({ role: "server", acquire: () => Promise.reject(new Error("no single requests here")), maxBodyBytes: 1024, requestTimeoutMs: 60_000, fanout: handler });
  const send = (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init));
  return { clock, registry, transports, limiter, send };
}

const time = { get_time: () => ({ time: 1 }) };

/** Resolves `promise` while virtual time moves forward in steps; returns it with the virtual time it took. */
async function within<T>(clock: FakeClock, promise: Promise<T>, stepMs = 50, maxMs = 120_000): Promise<{ value: T; atMs: number }> {
  let value: T | undefined;
  let done = false;
  void promise.then((v) => {
    value = v;
    done = true;
  });
  const start = clock.now();
  await settle();
  while (!done && clock.now() - start < maxMs) {
    await clock.advance(stepMs);
    // The route writes NDJSON lines a turn of the event loop later (one write per turn): let that turn pass at each step.
    await new Promise((resolve) => setImmediate(resolve));
    await settle();
  }
  if (!done) throw new Error(`not answered within ${maxMs} virtual ms`);
  return { value: value as T, atMs: clock.now() - start };
}

describe("one answer with every outcome", () => {
  test("reply, handler error, no handler, 504 at the deadline, 502 for a lost pipe: each in its own entry", async () => {
    const never = new Promise<never>(() => {});
    const { clock, transports, send } = fleet({
      ok: { handlers: time },
      fails: { handlers: { get_time: () => { throw new Error("disk on fire"); } } },
      silent: { handlers: { get_time: () => never } },
      lost: { handlers: { get_time: () => never } },
      nohandler: { handlers: {} },
    });
    const pending = send("/clients/*/time?timeout=1s");
    await settle();
    transports.get("lost")!.reset(new Error("connection reset"));
    const { value: response, atMs } = await within(clock, pending);
    expect(atMs).toBe(1000); // the deadline, not a moment later
    expect(response.status).toBe(200);
    expect(response.headers.get("x-event-return-code")).toBe("0");
    const answer = (await response.json()) as Answer;
    expect(answer.matched).toBe(5);
    expect(answer.answered).toBe(3);
    expect(Object.keys(answer.results)).toEqual(["fails", "lost", "nohandler", "ok", "silent"]);
    expect(answer.results["ok"]).toEqual({ status: 200, code: 0, mimetype: "application/json", data: { time: 1 } });
    expect(answer.results["fails"]).toMatchObject({ status: 500, code: 251, data: { exception: { message: "disk on fire", class: "Error" } } });
    expect(answer.results["nohandler"]).toMatchObject({ status: 404, code: 255 });
    expect(answer.results["silent"]).toEqual({ status: 504, code: 253, error: "Cannot complete request: no reply from silent within 1000 ms" });
    expect(answer.results["lost"]).toMatchObject({ status: 502, code: 254 });
    expect(answer.results["lost"]!.error).toStartWith("Cannot complete request: the pipe to lost closed");
  });

  test("each client's outcome is reported once to onSent (the metrics' events sent)", async () => {
    const sent: Array<[string, string, number]> = [];
    const never = new Promise<never>(() => {});
    const { clock, send } = fleet({ a: { handlers: time }, b: { handlers: { get_time: () => never } } }, { onSent: (verb, noun, code) => sent.push([verb, noun, code]) });
    await within(clock, send("/clients/*/time?timeout=1s"));
    expect(sent.sort()).toEqual([["GET", "time", 0], ["GET", "time", 253]]);
  });

  test("all answering: the answer comes as soon as the last reply does, long before the deadline", async () => {
    const { clock, send } = fleet({ a: { handlers: time }, b: { handlers: time } });
    const { value, atMs } = await within(clock, send("/clients/*/time?timeout=10s"), 1);
    expect(atMs).toBeLessThan(5);
    expect(((await value.json()) as Answer).answered).toBe(2);
  });
});

describe("selectors and bounds", () => {
  const three = () =>
    fleet({
      "edge-1": { labels: { role: "db", site: "fra" }, handlers: time },
      "edge-2": { labels: { role: "web", site: "fra" }, handlers: time },
      core: { labels: { role: "db", site: "ams" }, handlers: time },
    });
  const names = async (send: (path: string) => Promise<Response>, path: string) => Object.keys(((await (await send(path)).json()) as Answer).results);

  test("glob, list, labels (encoded or not)", async () => {
    const { send } = three();
    expect(await names(send, "/clients/edge-*/time")).toEqual(["edge-1", "edge-2"]);
    expect(await names(send, "/clients/core,edge-2,missing/time")).toEqual(["core", "edge-2"]);
    expect(await names(send, "/clients/role=db/time")).toEqual(["core", "edge-1"]);
    expect(await names(send, "/clients/role%3Ddb%2Csite%3Dfra/time")).toEqual(["edge-1"]);
  });

  test("nobody selected is 200 with matched 0", async () => {
    const { send } = three();
    const response = await send("/clients/nobody-*/time");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ matched: 0, answered: 0, results: {} });
  });

  test("more than RP_SERVER_MAX_FANOUT is 413 with the count", async () => {
    const { send } = fleet({ a: { handlers: time }, b: { handlers: time }, c: { handlers: time } }, { maxFanout: 2 });
    const response = await send("/clients/*/time");
    expect(response.status).toBe(413);
    expect(response.headers.get("x-event-return-code")).toBe("252");
    expect(await response.json()).toEqual({ error: "Cannot fan out to 3 clients: more than the limit of 2; narrow the selector or set RP_SERVER_MAX_FANOUT" });
  });

  test("bad selector, bad timeout, no noun, bad method: 400, 400, 404, 405", async () => {
    const { send } = three();
    const bad = await send("/clients/role=/time");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toStartWith('Cannot read selector "role=": Cannot use label "role="');
    expect((await send("/clients/*/time?timeout=forever")).status).toBe(400);
    expect((await send("/clients/*/")).status).toBe(404);
    expect((await send("/clients/*/a/..%2Fb")).status).toBe(400);
    expect((await send("/clients/*/time", { method: "OPTIONS" })).status).toBe(405);
    const head = await send("/clients/*/time", { method: "HEAD" });
    expect({ status: head.status, allow: head.headers.get("allow") }).toEqual({ status: 405, allow: "GET, POST, PUT, PATCH, DELETE" });
  });

  test("with a front token, a fan-out without it is 401 and asks nobody", async () => {
    let calls = 0;
    const { send } = fleet({ a: { handlers: { get_time: () => ++calls } } }, { token: "s3cret" });
    const refused = await send("/clients/*/time");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="restpipe"');
    const allowed = await send("/clients/*/time", { headers: { authorization: "Bearer s3cret" } });
    expect(((await allowed.json()) as Answer).answered).toBe(1);
    expect(calls).toBe(1);
  });

  test("include=offline lists recently seen clients as 503, by selector and by name", async () => {
    const { registry, send } = three();
    registry.get("core")!.close();
    await settle();
    expect(await names(send, "/clients/role=db/time")).toEqual(["edge-1"]);
    const answer = (await (await send("/clients/role=db/time?include=offline")).json()) as Answer;
    expect(answer.matched).toBe(2);
    expect(answer.answered).toBe(1);
    expect(answer.results["core"]).toEqual({ status: 503, code: 250, error: 'Cannot reach "core": not connected (last seen 2027-01-15T08:00:00.000Z)' });
    const named = (await (await send("/clients/core,ghost/time?include=offline")).json()) as Answer;
    expect(named.results["ghost"]).toEqual({ status: 503, code: 250, error: 'Cannot reach "ghost": not connected (not seen since this server started)' });
  });
});

describe("the deadline and the cap", () => {
  test("at most `cap` requests in flight; queued ones count their deadline from the start and get 504 if never sent", async () => {
    let running = 0;
    let most = 0;
    const clients: Record<string, { handlers: object }> = {};
    const fleetRef: { clock?: FakeClock } = {};
    const slow = {
      async get_work() {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => fleetRef.clock!.setTimeout(resolve, 400));
        running--;
        return { done: true };
      },
    };
    for (const name of ["c1", "c2", "c3", "c4", "c5"]) clients[name] = { handlers: slow };
    // slowMs 0: a slow request keeps its slot (by default it gives it back after FANOUT_SLOW_MS; see test/unit/fanout/runner.test.ts).
    const { clock, limiter, send } = fleet(clients, { limiter: new FanoutLimiter(2, { slowMs: 0 }) });
    fleetRef.clock = clock;
    const { value, atMs } = await within(clock, send("/clients/*/work?timeout=1s"));
    expect(atMs).toBe(1000);
    expect(most).toBe(2);
    const answer = (await value.json()) as Answer;
    const statuses = Object.values(answer.results).map((entry) => entry.status);
    // Two at 400 ms, two more at 800 ms; the fifth starts at 800 ms and cannot finish by 1000 ms.
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(answer.results["c5"]).toEqual({ status: 504, code: 253, error: "Cannot complete request: no reply from c5 within 1000 ms" });
    await settle();
    expect([limiter.inUse, limiter.waiting]).toEqual([0, 0]);
  });

  test("a caller that goes away ends the fan-out: its requests are aborted and their slots freed", async () => {
    const never = new Promise<never>(() => {});
    const { limiter, send } = fleet({ a: { handlers: { get_time: () => never } }, b: { handlers: { get_time: () => never } } });
    const controller = new AbortController();
    const pending = send("/clients/*/time", { signal: controller.signal });
    await settle();
    expect(limiter.inUse).toBe(2);
    controller.abort();
    await pending.catch(() => undefined);
    await settle();
    expect(limiter.inUse).toBe(0);
  });
});

describe("bodies and streaming", () => {
  test("the body is sent to every client, the query without the fan-out's own parameters", async () => {
    const echo = { post_echo: (ctx: HandlerContext, body: RequestBody) => ({ got: body.data, query: Object.fromEntries(ctx.query) }) };
    const { send } = fleet({ a: { handlers: echo }, b: { handlers: echo } });
    const response = await send("/clients/a,b/echo?x=1&timeout=5s&y=%20", { method: "POST", headers: { "content-type": "application/json" }, body: '{"n":42}' });
    const answer = (await response.json()) as Answer;
    for (const name of ["a", "b"]) expect(answer.results[name]!.data).toEqual({ got: { n: 42 }, query: { x: "1", y: " " } });
  });

  test("a body over the limit is 413 before anything is sent", async () => {
    let calls = 0;
    const { send } = fleet({ a: { handlers: { post_x: () => ++calls } } });
    const response = await send("/clients/*/x", { method: "POST", body: "x".repeat(1025) });
    expect(response.status).toBe(413);
    expect(calls).toBe(0);
  });

  test("the answer's byte budget: replies past it are listed without their data", async () => {
    const big = { get_blob: (ctx: HandlerContext) => ctx.reply("text/plain", 0, "x".repeat(600)) };
    const { send } = fleet({ a: { handlers: big }, b: { handlers: big } }, { maxAnswerBytes: 1000 });
    const answer = (await (await send("/clients/*/blob")).json()) as Answer;
    const entries = Object.values(answer.results);
    expect(entries.filter((entry) => entry.data === "x".repeat(600))).toHaveLength(1);
    const dropped = entries.find((entry) => entry.data === undefined)!;
    expect(dropped).toEqual({
      status: 200,
      code: 0,
      mimetype: "text/plain",
      error: "Cannot include the reply data (600 bytes): this answer already holds 600 of its 1000 bytes; ask fewer clients or set RP_SERVER_FANOUT_MAX_ANSWER_BYTES",
    });
    expect(answer.answered).toBe(2);
  });

  test("NDJSON: lines known in one turn of the event loop go out as one chunk", async () => {
    const { send } = fleet({ a: { handlers: time }, b: { handlers: time }, c: { handlers: time } });
    const response = await send("/clients/*/time", { headers: { accept: "application/x-ndjson" } });
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(new TextDecoder().decode(value));
    }
    // The three replies and the summary are all known within one turn: one chunk, four lines.
    expect(chunks.length).toBe(1);
    expect(chunks[0]!.split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { client?: string }).client ?? "summary")).toEqual(["a", "b", "c", "summary"]);
  });

  test("NDJSON: a line per client as soon as it answers, the summary last", async () => {
    const fleetRef: { clock?: FakeClock } = {};
    const later = { get_time: () => new Promise((resolve) => fleetRef.clock!.setTimeout(() => resolve({ late: true }), 500)) };
    const { clock, send } = fleet({ fast: { handlers: time }, slow: { handlers: later }, gone: { handlers: { get_time: () => new Promise(() => {}) } } });
    fleetRef.clock = clock;
    const response = await send("/clients/*/time?timeout=2s", { headers: { accept: "application/x-ndjson" } });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const nextLine = async () => {
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += value;
      }
      const at = text.indexOf("\n");
      const line = text.slice(0, at);
      text = text.slice(at + 1);
      return JSON.parse(line) as Record<string, unknown>;
    };
    expect(await nextLine()).toEqual({ client: "fast", status: 200, code: 0, mimetype: "application/json", data: { time: 1 } });
    expect(clock.now()).toBe(0);
    const second = within(clock, nextLine());
    expect((await second).value).toMatchObject({ client: "slow", data: { late: true } });
    expect(clock.now()).toBe(500);
    const third = await within(clock, nextLine());
    expect(third.value).toEqual({ client: "gone", status: 504, code: 253, error: "Cannot complete request: no reply from gone within 2000 ms" });
    expect(clock.now()).toBe(2000);
    expect(await nextLine()).toEqual({ matched: 3, answered: 2 });
    expect((await reader.read()).done).toBe(true);
  });
});
