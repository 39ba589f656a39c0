/**
 * Fan-out through a whole rp-server (startServer) with real rp-client nodes
 * on the memory runtime, in virtual time: labels come from the clients'
 * certificates as the server accepts them, and the answer comes at the
 * fan-out's deadline on the node's clock.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { startClient, type RunningClient } from "../../src/client/index.ts";
import { loadClientConfig, loadServerConfig } from "../../src/config/index.ts";
import { createDispatcher } from "../../src/dispatch/index.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { FakeClock, MemoryNetwork, memoryPki, recordingLogger, waitUntil } from "../support/index.ts";

// Made once for the file (no beforeAll: the Deno shim has none).
const identities = memoryPki().then(async (pki) => ({
  server: pki.server,
  db: await pki.client("db-1", { role: "db", site: "fra" }),
  web: await pki.client("web-1", { role: "web", site: "fra" }),
}));

const running: Array<{ server: RunningServer; clients: RunningClient[] }> = [];
afterEach(async () => {
  for (const { server, clients } of running.splice(0)) {
    for (const client of clients) {
      client.loop.stop();
      for (const pipe of client.registry.pipes()) pipe.close();
      await client.front.server.stop(true);
      client.observer.close();
    }
    for (const pipe of server.registry.pipes()) pipe.close();
    server.listener.stop(true);
    await server.front.server.stop(true);
    server.observer.close();
  }
});

async function fleet() {
  const { server: serverIdentity, db, web } = await identities;
  const net = new MemoryNetwork();
  const clock = new FakeClock();
  const runtime = net.runtime();
  const config = loadServerConfig({ env: { RP_SERVER_BIND_INTERFACE: "127.0.0.1", RP_SERVER_BIND_PORT: "0", RP_SERVER_HTTP_BIND: "127.0.0.1:0" } });
  const server = startServer(config, { runtime, identity: serverIdentity, dispatcher: createDispatcher({}), log: recordingLogger().log, clock });
  const clientConfig = loadClientConfig({ env: { RP_CLIENT_TARGET_HOSTNAME: "127.0.0.1", RP_CLIENT_TARGET_PORT: String(server.listener.port), RP_CLIENT_HTTP_BIND: "127.0.0.1:0" } });
  const handlers = (name: string, silent: boolean) => ({
    get_whoami: () => ({ name }),
    get_maybe: () => (silent ? new Promise(() => {}) : { name }),
  });
  const clients = [
    startClient(clientConfig, { runtime, identity: db, dispatcher: createDispatcher(handlers("db-1", true)), log: recordingLogger().log, clock }),
    startClient(clientConfig, { runtime, identity: web, dispatcher: createDispatcher(handlers("web-1", false)), log: recordingLogger().log, clock }),
  ];
  running.push({ server, clients });
  await waitUntil(() => server.registry.size === 2, "both clients connected");
  const ask = async (path: string) => (await net.fetch(`${server.front.server.url}${path}`)).json() as Promise<Record<string, unknown>>;
  return { server, clock, ask };
}

describe("fan-out through whole nodes", () => {
  test("labels from the certificates select; the silent client is 504 at the deadline in virtual time", async () => {
    const { server, clock, ask } = await fleet();
    expect(await ask("/clients/role=db/whoami")).toEqual({
      matched: 1,
      answered: 1,
      results: { "db-1": { status: 200, code: 0, mimetype: "application/json", data: { name: "db-1" } } },
    });
    expect(Object.keys(((await ask("/clients/site=fra/whoami")) as { results: object }).results)).toEqual(["db-1", "web-1"]);
    let answer: Record<string, unknown> | undefined;
    const pending = ask("/clients/*/maybe?timeout=2s").then((a) => (answer = a));
    await waitUntil(() => server.registry.get("db-1")?.inFlight === 1, "the fan-out sent to the silent client");
    await clock.advance(1_999);
    expect(answer).toBeUndefined();
    await clock.advance(1);
    await pending;
    expect(answer).toEqual({
      matched: 2,
      answered: 1,
      results: {
        "db-1": { status: 504, code: 253, error: "Cannot complete request: no reply from db-1 within 2000 ms" },
        "web-1": { status: 200, code: 0, mimetype: "application/json", data: { name: "web-1" } },
      },
    });
  });
});
