/**
 * The front lifts the idle timeout from a request's connection exactly while
 * its event is in flight: after the body is read, until the response (issue
 * 12, item 1). Refused requests never hold a connection open.
 */
import { afterEach, expect, test } from "bun:test";
import { createFront } from "../../src/http/index.ts";
import { Pipe, type InboundHandler } from "../../src/pipe/index.ts";
import { memoryPair } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function front(onEvent: InboundHandler) {
  const [ta, tb] = memoryPair();
  const quiet = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0 };
  const local = new Pipe(ta, { peer: { name: "server", remoteAddress: "memory:server" }, onEvent, ...quiet });
  const remote = new Pipe(tb, { peer: { name: "client", remoteAddress: "memory:client" }, onEvent, ...quiet });
  opened.push(local, remote);
  const events: string[] = [];
  const app = createFront({
    role: "client",
    acquire: async () => local,
    maxBodyBytes: 16,
    requestTimeoutMs: 60_000,
    holdOpen: (request) => {
      events.push(`hold ${new URL(request.url).pathname}`);
      return () => events.push("release");
    },
  });
  return { events, send: (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init)) };
}

test("held from the body read to the response, released once", async () => {
  let handled = (): void => {};
  const handlerRan = new Promise<void>((resolve) => (handled = resolve));
  const { events, send } = front(async () => {
    events.push("handler");
    handled();
    return { code: 0, mimetype: "text/plain", data: new TextEncoder().encode("ok") };
  });
  const response = await send("/server/slow", { method: "POST", body: "hello" });
  await handlerRan;
  expect(response.status).toBe(200);
  expect(events).toEqual(["hold /server/slow", "handler", "release"]);
});

test("released when the request fails in flight (the peer's error reply path)", async () => {
  const { events, send } = front(() => ({ code: 254, mimetype: "text/plain", data: new Uint8Array() }));
  expect((await send("/server/x")).status).toBe(502);
  expect(events).toEqual(["hold /server/x", "release"]);
});

test("refused before the event (method, body too large, path): never held", async () => {
  const { events, send } = front(() => ({ code: 0 }));
  expect((await send("/server/x", { method: "OPTIONS" })).status).toBe(405);
  expect((await send("/server/x", { method: "POST", body: "x".repeat(17) })).status).toBe(413);
  expect((await send("/elsewhere")).status).toBe(404);
  expect(events).toEqual([]);
});
