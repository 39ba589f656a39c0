/**
 * rp-client from source under Deno behind a real tinyproxy with Basic auth
 * (node:net to the proxy, CONNECT, then node:tls over the same socket), with
 * the Bun-built dist/rp-server; and the Deno client's refusal of a
 * TLS-inspecting proxy, worded as on Bun (the issuer read by a throwaway
 * probe, since node:tls on Deno refuses the chain before it can be read).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  denoLauncher,
  InterceptingTlsServer,
  makeTestPki,
  ScriptedProxy,
  startClientProcess,
  startServerProcess,
  Tinyproxy,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
  tlsRecords,
} from "../support/index.ts";
import { SEED_AND_ECHO } from "../support/interop.ts";

const AUTH = { user: "deno", password: "deno-pw" };
let pki: TestPki;
let server: ServerProcess;
let proxy: Tinyproxy;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir, { RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "server" });
  proxy = await Tinyproxy.start({ basicAuth: AUTH });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.proc.stop("SIGKILL")));
  await server?.proc.stop();
  await proxy?.stop();
  await pki?.cleanup();
});

async function denoClient(cn: string, env: Record<string, string>): Promise<ClientProcess> {
  const started = await startClientProcess((await pki.client(cn)).dir, server.pipePort, env, [], denoLauncher("rp-client"));
  clients.push(started);
  return started;
}

test("the Deno client dials through tinyproxy with Basic auth; events cross both ways", async () => {
  const client = await denoClient("deno-proxied", { RP_CLIENT_PROXY: proxy.url(AUTH) });
  await server.proc.waitForMessage("client connected", { client: "deno-proxied" }, 20_000);
  expect((await fetch(`${client.http}/server/time`)).status).toBe(200);
  expect((await fetch(`${server.http}/client/deno-proxied/time`)).status).toBe(200);
  expect(proxy.logs.some((line) => line.includes(`CONNECT 127.0.0.1:${server.pipePort}`))).toBe(true);
});

test("a Deno client behind a proxy announces small-records: the Bun server's records to it stay under 1 KiB", async () => {
  const relay = new ScriptedProxy({ kind: "relay", port: server.pipePort });
  try {
    const client = await denoClient("deno-small-records", { RP_CLIENT_PROXY: relay.url, RP_EVENT_HANDLER: SEED_AND_ECHO, FIXTURE_ROLE: "client" });
    await server.proc.waitForMessage("client connected", { client: "deno-small-records" }, 20_000);
    // One round trip first: the handshake and the server's TLS 1.3 session tickets (application-data records too) are behind us.
    expect((await fetch(`${client.http}/server/time`)).status).toBe(200);
    const sent = relay.carried.toClient.reduce((sum, chunk) => sum + chunk.length, 0);
    // The server echoes the 30 kB body back: its records to the Deno client. (Deno 2.9.6 ignores
    // setMaxSendFragment, so the Deno client's own records stay up to 16 KiB: see socket-transport.ts.)
    const body = new Uint8Array(30_000).fill(7);
    const response = await fetch(`${client.http}/server/bytes`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(30_000);
    const data = tlsRecords(relay.carried.toClient).filter((record) => record.type === 23 && record.offset >= sent);
    const largest = Math.max(...data.map((record) => record.length));
    expect(data.reduce((sum, record) => sum + record.length, 0)).toBeGreaterThan(30_000);
    expect(largest).toBeLessThanOrEqual(1024);
  } finally {
    relay.stop();
  }
});

test("the Deno client names a TLS-inspecting proxy as the likely cause, and its issuer", async () => {
  const interceptor = await InterceptingTlsServer.start();
  const scripted = new ScriptedProxy({ kind: "relay", port: interceptor.port });
  try {
    const client = await denoClient("deno-inspected", { RP_CLIENT_PROXY: scripted.url });
    const failed = await client.proc.waitForMessage("cannot connect to the server", {}, 20_000);
    expect(String(failed["reason"])).toContain(
      `through the proxy 127.0.0.1:${new URL(scripted.url).port}: the server's certificate is not from this client's CA: a TLS-inspecting proxy may be in the way (issuer: CN=${InterceptingTlsServer.CA_CN}; `,
    );
    // node:tls on Deno fails the handshake before the peer certificate can be read: the issuer comes from a throwaway probe.
    expect(String(failed["reason"])).toContain("SELF_SIGNED_CERT_IN_CHAIN");
  } finally {
    scripted.stop();
    interceptor.stop();
  }
});
