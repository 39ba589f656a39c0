/**
 * A reply slower than the front's idle timeout still reaches its caller, and
 * a peer that never answers gets the 504 at the request deadline: the idle
 * timeout must not close a connection whose request is in flight (issue 12,
 * item 1). Idle timeout 1 s, deadline 8 s; both fronts, GET and POST, on one
 * keep-alive connection each, which stays usable afterwards.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeTestPki, rawConnect, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const EDGE_HANDLERS = fileURLToPath(new URL("../fixtures/edge-handlers.ts", import.meta.url));

const IDLE_S = 1;
const DEADLINE_S = 8;
/** Longer than the idle timeout plus Bun's ~4 s check period, shorter than the deadline. */
const SLOW_MS = 6_000;
/** Never answers within the deadline: the silent peer. */
const SILENT_MS = 30_000;

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  const env = (role: "SERVER" | "CLIENT") => ({
    RP_EVENT_HANDLER: EDGE_HANDLERS,
    [`RP_${role}_HTTP_IDLE_TIMEOUT_S`]: String(IDLE_S),
    [`RP_${role}_REQUEST_TIMEOUT_S`]: String(DEADLINE_S),
    // The silent handlers still sleep after their 504: stopping must not wait for them.
    [`RP_${role}_DRAIN_TIMEOUT_S`]: "1",
  });
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("slow"), { serverEnv: env("SERVER"), clientEnv: env("CLIENT") }));
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

/** One request on its own keep-alive connection: what came back and when, then a second request on the same connection. */
async function call(origin: string, method: "GET" | "POST", path: string) {
  const connection = await rawConnect(origin);
  const started = performance.now();
  const body = method === "POST" ? "hello" : "";
  const head = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${method === "POST" ? `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n` : ""}\r\n`;
  connection.write(head + body);
  try {
    const response = await connection.response(DEADLINE_S * 1_000 + 5_000);
    const ms = Math.round(performance.now() - started);
    return { status: response.status, code: response.headers["x-event-return-code"], body: response.body, ms, connection };
  } catch (error) {
    connection.close();
    return { status: 0, code: undefined, body: String(error), ms: Math.round(performance.now() - started), connection };
  }
}

test("slow handlers answer through both fronts, GET and POST; a silent peer gets 504 at the deadline", async () => {
  const fronts = [
    { name: "client front", origin: client.http, prefix: "/server" },
    { name: "server front", origin: server.http, prefix: "/client/slow" },
  ];
  const cases = fronts.flatMap((front) =>
    (["GET", "POST"] as const).flatMap((method) => [
      { ...front, method, ms: SLOW_MS },
      { ...front, method, ms: SILENT_MS },
    ]),
  );
  const results = await Promise.all(cases.map(async (c) => ({ c, result: await call(c.origin, c.method, `${c.prefix}/sleep//${c.ms}`) })));
  const what = (c: (typeof cases)[number], result: Awaited<ReturnType<typeof call>>) =>
    `${c.name} ${c.method} ${c.ms} ms: status ${result.status} after ${result.ms} ms (${result.body.slice(0, 200)})`;
  for (const { c, result } of results) console.log(what(c, result));
  for (const { c, result } of results) {
    const seen = what(c, result);
    if (c.ms === SLOW_MS) {
      expect({ seen, status: result.status, code: result.code }).toEqual({ seen, status: 200, code: "0" });
      expect(JSON.parse(result.body)).toMatchObject({ slept: SLOW_MS });
    } else {
      expect({ seen, status: result.status, code: result.code }).toEqual({ seen, status: 504, code: "253" });
      expect(result.ms).toBeGreaterThanOrEqual(DEADLINE_S * 1_000 - 50); // was ${result.ms}
      expect(result.ms).toBeLessThan(DEADLINE_S * 1_000 + 3_000); // was ${result.ms}
    }
  }
  // Once nothing is in flight, the idle timeout closes the keep-alive connection again.
  const slow = results.find(({ c }) => c.ms === SLOW_MS)!.result;
  const closedMs = await Promise.race([slow.connection.closed, Bun.sleep(IDLE_S * 1_000 + 8_000).then(() => -1)]);
  const idleAfterReplyMs = Math.round(closedMs - slow.ms);
  console.log(`keep-alive connection closed by the idle timeout ${idleAfterReplyMs} ms after its slow reply`);
  expect(closedMs).toBeGreaterThan(0); // -1: never closed
  expect(idleAfterReplyMs).toBeLessThan(IDLE_S * 1_000 + 6_000); // was ${idleAfterReplyMs}
  for (const { result } of results) result.connection.close();
}, 30_000);
