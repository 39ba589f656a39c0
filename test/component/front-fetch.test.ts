/**
 * The front's fetch (createFrontFetch): event paths go to the event handler
 * past Elysia's router, everything else to the app, and a route of the
 * node's own under the event prefix still wins over the event route.
 */
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { createFrontFetch, type FrontOptions } from "../../src/http/index.ts";
import type { IncomingReply, OutboundEvent, RequestTarget } from "../../src/pipe/index.ts";

/** A pipe stub that answers every event with its noun, and the events it saw. */
function stubTarget() {
  const seen: OutboundEvent[] = [];
  const target = {
    peer: { name: "bench", remoteAddress: "memory:bench" },
    streams: true,
    replyHead: true,
    request: async (event: OutboundEvent): Promise<IncomingReply> => {
      seen.push(event);
      return { code: 0, mimetype: "text/plain", data: new TextEncoder().encode(`event ${event.noun}`) };
    },
  } as unknown as RequestTarget;
  return { target, seen };
}

function front(role: FrontOptions["role"], extra: Partial<FrontOptions> = {}) {
  const { target, seen } = stubTarget();
  const fetch = createFrontFetch({ role, acquire: async () => target, maxBodyBytes: 1024, requestTimeoutMs: 60_000, ...extra });
  const send = async (path: string) => {
    const response = await fetch(new Request(`http://localhost${path}`));
    return { status: response.status, peer: response.headers.get("x-restpipe-peer"), body: await response.text() };
  };
  return { send, seen };
}

const routes = () => new Elysia({ name: "test-routes" }).get("/healthz", () => new Response("healthy"));

describe("createFrontFetch", () => {
  test("server: /client/<cn>/<noun> is the event route, with the query and the peer header", async () => {
    const { send, seen } = front("server", { routes: routes() });
    expect(await send("/client/bench/time?x=1")).toEqual({ status: 200, peer: "bench", body: "event time" });
    expect(seen.map((event) => [event.verb, event.noun, event.query])).toEqual([["get", "time", "x=1"]]);
  });

  test("client: /server/<noun> is the event route; /client/... is not one there", async () => {
    const { send, seen } = front("client");
    expect(await send("/server/cat//a%20b")).toEqual({ status: 200, peer: "bench", body: "event cat//a%20b" });
    const other = await send("/client/bench/time");
    expect(other.status).toBe(404);
    expect(seen.length).toBe(1);
  });

  test("the node's own routes and the fan-out route still go through the app", async () => {
    const { send, seen } = front("server", { routes: routes(), fanout: async () => new Response("fan-out") });
    expect(await send("/healthz")).toEqual({ status: 200, peer: null, body: "healthy" });
    expect(await send("/clients/*/time")).toEqual({ status: 200, peer: null, body: "fan-out" });
    expect(seen.length).toBe(0);
  });

  test("a route under the event prefix wins over the event route, as in the app", async () => {
    const special = new Elysia({ name: "special" }).get("/client/special/page", () => new Response("special page"));
    const { send, seen } = front("server", { routes: special });
    expect(await send("/client/special/page")).toEqual({ status: 200, peer: null, body: "special page" });
    expect(await send("/client/bench/time")).toEqual({ status: 200, peer: "bench", body: "event time" });
    expect(seen.map((event) => event.noun)).toEqual(["time"]);
  });
});
