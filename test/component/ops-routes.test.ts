/** The front's own routes through app.handle (no socket): probes, metrics, the status page and its JSON, the token. */
import { describe, expect, test } from "bun:test";
import { createFront } from "../../src/http/index.ts";
import { opsRoutes, STATUS_PAGE_HTML, type Readiness, type ServerStatusJson } from "../../src/ops/index.ts";
import { NotConnectedError } from "../../src/pipe/index.ts";

const HOST = "http://front.test";

function status(limit: number): ServerStatusJson {
  const row = (name: string) => ({ name, remote: "127.0.0.1:1", connectedSince: 1, rttMs: 0.5, inFlight: 0, inboundInFlight: 0, requestsSent: 1, eventsReceived: 2, bytesIn: 3, bytesOut: 4 });
  const clients = ["a", "b", "c"].map(row);
  return { role: "server", version: "9", startedAt: 0, now: 2, ready: true, readyReason: "ok", listening: "x:1", clientCount: 3, clients: limit > 0 ? clients.slice(0, limit) : clients, events: [] };
}

function front(readiness: Readiness = { ready: true, reason: "listening" }, token?: string) {
  const routes = opsRoutes({
    readiness: () => readiness,
    status,
    metrics: { scrape: async () => "restpipe_up 1\n", contentType: "text/plain; version=0.0.4; charset=utf-8" },
    token,
  });
  return createFront({
    role: "server",
    acquire: (peer) => Promise.reject(new NotConnectedError(peer ?? "", 0)),
    maxBodyBytes: 1024,
    requestTimeoutMs: 1000,
    routes,
  });
}

const get = (app: ReturnType<typeof front>, path: string, headers: Record<string, string> = {}) => app.handle(new Request(`${HOST}${path}`, { headers }));

describe("probes", () => {
  test("/healthz is 200 whatever the readiness", async () => {
    const response = await get(front({ ready: false, reason: "x" }), "/healthz");
    expect([response.status, await response.json()]).toEqual([200, { status: "ok" }]);
  });

  test("/readyz is 200 or 503 with the reason", async () => {
    const ready = await get(front(), "/readyz");
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", reason: "listening" }]);
    const down = await get(front({ ready: false, reason: "the pipe to the server is reconnecting: refused" }), "/readyz");
    expect([down.status, await down.json()]).toEqual([503, { status: "not ready", reason: "the pipe to the server is reconnecting: refused" }]);
  });
});

describe("metrics and the status page", () => {
  test("/metrics serves the scrape with its content type", async () => {
    const response = await get(front(), "/metrics");
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    expect(await response.text()).toBe("restpipe_up 1\n");
  });

  test("/_rp/ (and /_rp) is the page, status.json honours ?limit", async () => {
    const page = await get(front(), "/_rp/");
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe(STATUS_PAGE_HTML);
    expect(await (await get(front(), "/_rp")).text()).toBe(STATUS_PAGE_HTML);
    const all = (await (await get(front(), "/_rp/status.json")).json()) as ServerStatusJson;
    const two = (await (await get(front(), "/_rp/status.json?limit=2")).json()) as ServerStatusJson;
    expect([all.clients.length, two.clients.length, two.clientCount]).toEqual([3, 2, 3]);
  });

  test("the page's script compiles (a template-literal escape cannot break it unnoticed)", () => {
    const script = /<script>([\s\S]*)<\/script>/.exec(STATUS_PAGE_HTML)![1]!;
    expect(() => new Function(script)).not.toThrow();
    expect(script).toContain('"status.json?limit=500"');
  });

  test("the page has no external assets and writes values as text, never HTML", () => {
    expect(STATUS_PAGE_HTML).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(STATUS_PAGE_HTML).not.toContain("innerHTML");
  });

  test("event paths still reach the event route", async () => {
    const response = await get(front(), "/client/nobody/time");
    expect(response.status).toBe(503);
    const unknown = await get(front(), "/metricsx");
    expect(unknown.status).toBe(404);
  });
});

describe("with a front token", () => {
  test("/metrics and /_rp/ need it; the probes do not", async () => {
    const app = front(undefined, "s3cret");
    expect((await get(app, "/metrics")).status).toBe(401);
    expect((await get(app, "/_rp/status.json", { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await get(app, "/_rp/", { authorization: "Bearer s3cret!" })).status).toBe(401);
    expect((await get(app, "/metrics", { authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await get(app, "/healthz")).status).toBe(200);
    expect((await get(app, "/readyz")).status).toBe(200);
  });
});
