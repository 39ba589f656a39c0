/**
 * Path rules on a Deno front and a Bun front: Bun resolves `.` and `..`
 * segments (as a WHATWG URL) before the app sees the path, Deno hands over
 * the target as sent. The same raw request targets (sent over plain TCP, so
 * no client library normalises them) must get the same status, return code
 * and body from both, and the statuses the rules call for.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  denoLauncher,
  makeTestPki,
  rawRequest,
  startClientProcess,
  startServerProcess,
  type ClientProcess,
  type RawResponse,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";
import { SEED_AND_ECHO } from "../support/interop.ts";

let pki: TestPki;
const nodes: Array<ServerProcess | ClientProcess> = [];
/** Front URLs by runtime: the server front (client "c" connected) and the client front. */
const fronts: Record<"bun" | "deno", { server: string; client: string }> = { bun: { server: "", client: "" }, deno: { server: "", client: "" } };

beforeAll(async () => {
  pki = await makeTestPki();
  const identity = (await pki.client("c")).dir;
  const wait = { RP_SERVER_CLIENT_WAIT_S: "0.1", RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "server" };
  const handlers = { RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "client" };
  // A Bun server with a Deno client, and a Deno server with a Bun client: each runtime has a front of each role.
  const bunServer = await startServerProcess(pki.server.dir, wait);
  const denoServer = await startServerProcess(pki.server.dir, wait, [], denoLauncher("rp-server"));
  nodes.push(bunServer, denoServer);
  const denoClient = await startClientProcess(identity, bunServer.pipePort, handlers, [], denoLauncher("rp-client"));
  const bunClient = await startClientProcess(identity, denoServer.pipePort, handlers);
  nodes.push(denoClient, bunClient);
  await Promise.all([bunServer, denoServer].map((server) => server.proc.waitForMessage("client connected", { client: "c" })));
  fronts.bun = { server: bunServer.http, client: bunClient.http };
  fronts.deno = { server: denoServer.http, client: denoClient.http };
});

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.proc.stop()));
  await pki?.cleanup();
});

/** Status, return code and body: what a caller of the front sees. */
const seen = (response: RawResponse) => ({ status: response.status, code: response.headers["x-event-return-code"], body: response.body });

/** Target → the status Bun gives it (and so must Deno); the bodies are compared between the runtimes. */
const SERVER_FRONT: ReadonlyArray<readonly [string, number]> = [
  ["/client/c/cat//hello%20/world", 200],
  // dot segments, plain and percent-encoded, are resolved before routing
  ["/client/c/cat//x/../y", 200],
  ["/client/c/cat//x/%2e%2E/y", 200],
  ["/client/c/cat//./y", 200],
  ["/client/c/cat//%2e/y", 200],
  ["/client/x/../c/cat//y", 200],
  ["/./client/c/cat//y", 200],
  ["/client/c/time/.", 404],
  ["/client/c/time/..", 404],
  ["/client/a/../time", 404],
  ["/client/a/%2e%2e/time", 404],
  ["/client/a/..", 404],
  ["/client/a/../../../etc/passwd", 404],
  ["/client/c/cat//a\\..\\b", 200],
  // names: decoded, matched exactly, no control characters, valid percent-encoding
  ["/client/%63/cat//by%20escape", 200],
  ["/client/C/cat//x", 503],
  ["/client/no%20body/time", 503],
  ["/client/c%00/time", 400],
  ["/client/%zz/time", 400],
  ["/client//time", 404],
  ["/client/c", 404],
  ["/client/c/", 404],
  // nouns and arguments keep their encoding; an encoded traversal in an argument is refused
  ["/client/c/cat//a%2Fb", 200],
  ["/client/c/cat//a%2Fb/%2e%2e%2fc", 400],
  ["/client/c/cat//ti%09me", 400],
  ["/client/c/no/such/handler", 404],
  ["/server/time", 404],
];

const CLIENT_FRONT: ReadonlyArray<readonly [string, number]> = [
  ["/server/cat//hello%20/world", 200],
  ["/server/cat//x/../y", 200],
  ["/server/x/../cat//y", 200],
  ["/server/../server/cat//y", 200],
  ["/server/%2e%2e/time", 404],
  ["/server/time/..", 404],
  ["/server/", 404],
  ["/server/cat//%00", 400],
  ["/client/c/time", 404],
];

describe("a Deno front answers raw request targets as a Bun front does", () => {
  for (const [role, table] of [["server", SERVER_FRONT], ["client", CLIENT_FRONT]] as const) {
    for (const [target, status] of table) {
      test(`${role} front: GET ${target} → ${status}`, async () => {
        const [bun, deno] = await Promise.all([rawRequest(fronts.bun[role], `GET ${target}`), rawRequest(fronts.deno[role], `GET ${target}`)]);
        expect(seen(deno)).toEqual(seen(bun));
        expect(bun.status).toBe(status);
      });
    }
  }

  test("a JSON POST to a dot-segment path reaches the same handler with its body on both", async () => {
    const body = JSON.stringify({ a: [1, "b"] });
    const headers = { "content-type": "application/json", "content-length": String(body.length) };
    const post = (url: string) => rawRequest(url, "POST /client/c/x/../echo?q=%2e%2e", headers, body);
    const [bun, deno] = await Promise.all([post(fronts.bun.server), post(fronts.deno.server)]);
    expect(seen(deno)).toEqual(seen(bun));
    expect(JSON.parse(bun.body)).toEqual({ received: { a: [1, "b"] }, mimetype: "application/json", from: "localhost", query: ".." });
  });
});
