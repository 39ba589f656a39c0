/**
 * Fan-out on an rp-server from source under Deno, with Bun-built dist/rp-client
 * clients: selectors by CN glob and by certificate label, a 504 at ?timeout,
 * and NDJSON lines streamed by Deno.serve as the clients answer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { denoLauncher, makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const HANDLERS = fileURLToPath(new URL("../fixtures/fanout-handlers.ts", import.meta.url));

let pki: TestPki;
let server: ServerProcess;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir, {}, [], denoLauncher("rp-server"));
  for (const [cn, role] of [["bun-a", "db"], ["bun-b", "web"]] as const) {
    const identity = await pki.client(cn, { labels: { role } });
    // bun-b is left with a handler that never returns (a stuck client): a short drain lets it stop.
    clients.push(await startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: HANDLERS, FIXTURE_NAME: cn, RP_CLIENT_DRAIN_TIMEOUT_S: "2" }));
    await server.proc.waitForMessage("client connected", { client: cn });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.proc.stop()));
  await server?.proc.stop("SIGKILL");
  await pki?.cleanup();
});

describe("fan-out on a Deno server", () => {
  test("a glob and a label set; a 504 at ?timeout", async () => {
    const all = (await (await fetch(`${server.http}/clients/bun-*/whoami`)).json()) as { matched: number; results: Record<string, unknown> };
    expect(all.matched).toBe(2);
    expect(all.results["bun-a"]).toEqual({ status: 200, code: 0, mimetype: "application/json", data: { name: "bun-a" } });
    const db = (await (await fetch(`${server.http}/clients/role=db/whoami`)).json()) as { results: Record<string, unknown> };
    expect(Object.keys(db.results)).toEqual(["bun-a"]);
    const slow = (await (await fetch(`${server.http}/clients/*/mixed//bun-b/5000?timeout=500ms`)).json()) as { answered: number; results: Record<string, unknown> };
    expect(slow.answered).toBe(1);
    expect(slow.results["bun-b"]).toEqual({ status: 504, code: 253, error: "Cannot complete request: no reply from bun-b within 500 ms" });
  });

  test("NDJSON: the fast client's line comes before the slow one answers", async () => {
    const started = performance.now();
    const response = await fetch(`${server.http}/clients/*/mixed//bun-b/1000?timeout=5s`, { headers: { accept: "application/x-ndjson" } });
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const arrivals: number[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      while (arrivals.length < text.split("\n").length - 1) arrivals.push(Math.round(performance.now() - started));
    }
    const lines = text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line["client"] ?? "summary")).toEqual(["bun-a", "bun-b", "summary"]);
    expect(arrivals[0]!).toBeLessThan(900); // ${arrivals}
    expect(arrivals[1]!).toBeGreaterThanOrEqual(950); // ${arrivals}
    expect(lines[2]).toEqual({ matched: 2, answered: 2 });
  });
});
