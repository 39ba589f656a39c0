/** Issue 13 item 6: every route of both fronts answers with a Host header of 1-3 characters (curl --unix-socket S http://x/...). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { makeTestPki, startClientProcess, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
let unixClient: ClientProcess;
let socket: string;

beforeAll(async () => {
  pki = await makeTestPki();
  const identity = await pki.client("short");
  ({ server, client } = await startConnectedPair(pki.server.dir, identity));
  socket = join(pki.dir, "front.sock");
  unixClient = await startClientProcess((await pki.client("short-unix")).dir, server.pipePort, {}, ["--http", `unix:${socket}`]);
  await server.proc.waitForMessage("client connected", { client: "short-unix" });
});

afterAll(async () => {
  await unixClient?.proc.stop();
  await client?.proc.stop();
  await server?.proc.stop();
  await pki?.cleanup();
});

/** curl with the given Host: the status code and the body. */
function curl(args: readonly string[]): { status: number; body: string } {
  const run = Bun.spawnSync(["curl", "-s", "-m", "10", "-w", "\n%{http_code}", ...args], { stdout: "pipe", stderr: "pipe" });
  const out = run.stdout.toString();
  const cut = out.lastIndexOf("\n");
  return { status: Number(out.slice(cut + 1)), body: out.slice(0, cut) };
}

const OWN_ROUTES = ["/healthz", "/readyz", "/metrics", "/_rp/", "/_rp/status.json"];

for (const host of ["x", "ab", "abc"]) {
  test(`Host: ${host} on the server front: its own routes and the event route`, () => {
    const origin = server.http;
    for (const path of OWN_ROUTES) expect({ path, status: curl(["-H", `Host: ${host}`, `${origin}${path}`]).status }).toEqual({ path, status: 200 });
    const event = curl(["-H", `Host: ${host}`, `${origin}/client/short/cat//a/b`]);
    expect(event).toEqual({ status: 200, body: JSON.stringify({ result_from_client: "ab" }) });
  });
}

test("curl --unix-socket S http://x/... on a client front", () => {
  for (const path of OWN_ROUTES) expect({ path, status: curl(["--unix-socket", socket, `http://x${path}`]).status }).toEqual({ path, status: 200 });
  expect(curl(["--unix-socket", socket, "http://x/server/cat//via/x"])).toEqual({ status: 200, body: JSON.stringify({ result_from_server: "viax" }) });
  expect(curl(["--unix-socket", socket, "http://x/nowhere"]).status).toBe(404); // still the front's own 404 elsewhere
});

test("a query and a POST body survive the host rewrite", () => {
  const posted = curl(["-H", "Host: x", "-X", "POST", "-H", "content-type: text/plain", "--data-binary", "hello", `${client.http}/server/nothing-here?q=1`]);
  expect(posted.status).toBe(404); // no handler post_nothing-here: the event reached the server's dispatcher
  expect(JSON.parse(posted.body)).toEqual({ error: "no handler post_nothing-here for POST nothing-here" }); // reached the server's dispatcher
});
