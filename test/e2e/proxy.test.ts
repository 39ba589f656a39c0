/**
 * dist/rp-client behind HTTP proxies: a real tinyproxy (with and without
 * Basic auth, restarted under it, chained as a local helper in front of an
 * authenticating parent, as cntlm or px would be), NO_PROXY, a tunnel that
 * goes silent, and a TLS-inspecting proxy. What the operator sees (logs,
 * /readyz, `rp-client status`, `config check`) names the cause and never
 * the password.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  InterceptingTlsServer,
  makeTestPki,
  Relay,
  runBinary,
  ScriptedProxy,
  startClientProcess,
  startServerProcess,
  Tinyproxy,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

const AUTH = { user: "alice", password: "hunter2-pw" };
let pki: TestPki;
let server: ServerProcess;
let guarded: Tinyproxy;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir);
  guarded = await Tinyproxy.start({ basicAuth: AUTH });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.proc.stop("SIGKILL")));
  await server?.proc.stop();
  await guarded?.stop();
  await pki?.cleanup();
});

/** Starts a client named `cn` against the server with this environment. */
async function client(cn: string, env: Record<string, string>, port = server.pipePort): Promise<ClientProcess> {
  const identity = await pki.client(cn);
  const started = await startClientProcess(identity.dir, port, env);
  clients.push(started);
  identityDirs.set(started, identity.dir);
  return started;
}

/** The identity directory each started client runs with (config check needs one to pass). */
const identityDirs = new Map<ClientProcess, string>();

async function readyz(http: string): Promise<{ status: number; reason: string }> {
  const response = await fetch(`${http}/readyz`);
  return { status: response.status, reason: ((await response.json()) as { reason: string }).reason };
}

function status(http: string) {
  return runBinary("rp-client", ["status", "--http", http.replace("http://", "")]);
}

/** Everything the client printed, as one text. */
function everything(started: ClientProcess): string {
  return started.proc.logs.map((record) => JSON.stringify(record)).join("\n");
}

describe("through tinyproxy", () => {
  test("with Basic auth: events cross both ways; the proxy saw CONNECT; no password in logs, status or config check", async () => {
    const url = guarded.url(AUTH);
    const shown = `http://alice:(set)@127.0.0.1:${guarded.port}`;
    const started = await client("behind-proxy", { RP_CLIENT_PROXY: url });
    await server.proc.waitForMessage("client connected", { client: "behind-proxy" });
    expect((await fetch(`${started.http}/server/time`)).status).toBe(200);
    expect((await fetch(`${server.http}/client/behind-proxy/time`)).status).toBe(200);
    expect(guarded.logs.some((line) => line.includes(`CONNECT 127.0.0.1:${server.pipePort}`))).toBe(true);

    const connected = await started.proc.waitForMessage("connected to the server");
    expect(connected["via"]).toBe(`proxy ${shown}`);
    expect((await started.proc.waitForMessage("client started"))["proxy"]).toBe(shown);
    const page = (await (await fetch(`${started.http}/_rp/status.json`)).json()) as { proxy?: string };
    expect(page.proxy).toBe(shown);
    const cli = await status(started.http);
    expect(cli.stdout).toMatch(new RegExp(`^proxy\\s+${shown.replace(/[.()]/g, "\\$&")}$`, "m"));
    const check = await runBinary("rp-client", ["config", "check"], { HTTPS_PROXY: url, RP_CLIENT_CERT_PATH: identityDirs.get(started)! });
    expect(check.stdout).toContain(shown);
    for (const text of [everything(started), JSON.stringify(page), cli.stdout, check.stdout, check.stderr]) expect(text).not.toContain(AUTH.password);
  });

  test("a wrong password: /readyz and `rp-client status` say the proxy refused the credentials", async () => {
    const started = await client("wrong-password", { RP_CLIENT_PROXY: guarded.url({ user: "alice", password: "not-it-pw" }) });
    const failed = await started.proc.waitForMessage("cannot connect to the server");
    const cause = `the proxy refused the credentials of user "alice" (401 Unauthorized; it asks for Basic); check the user and password in RP_CLIENT_PROXY`;
    expect(failed["reason"]).toBe(`Cannot connect to 127.0.0.1:${server.pipePort} through the proxy 127.0.0.1:${guarded.port}: ${cause}`);
    expect(failed["via"]).toBe(`proxy http://alice:(set)@127.0.0.1:${guarded.port}`);
    const ready = await readyz(started.http);
    expect(ready.status).toBe(503);
    expect(ready.reason).toEndWith(cause);
    expect((await status(started.http)).stdout).toContain(cause);
    expect(everything(started)).not.toContain("not-it-pw");
  });

  test("the proxy goes down and comes back: the client says why it cannot connect, then recovers by itself", async () => {
    const proxy = await Tinyproxy.start();
    try {
      const started = await client("proxy-restart", { RP_CLIENT_PROXY: proxy.url(), RP_CLIENT_HEARTBEAT_INTERVAL_S: "0.2", RP_CLIENT_HEARTBEAT_TIMEOUT_S: "1" });
      await started.proc.waitForMessage("connected to the server");
      const mark = started.proc.logs.length;
      await proxy.pause();
      const lost = await started.proc.waitForMessage("lost the pipe to the server", {}, 10_000, mark);
      expect(lost["via"]).toBe(`proxy ${proxy.url()}`);
      const refused = await started.proc.waitForLog((r) => r.msg === "cannot connect to the server" && String(r["reason"]).includes("the proxy is unreachable"), 10_000, mark);
      expect(String(refused["reason"])).toEndWith("); check RP_CLIENT_PROXY and that the proxy runs");
      expect((await readyz(started.http)).reason).toContain("the proxy is unreachable");
      const back = started.proc.logs.length;
      await proxy.resume();
      const resumedAt = Date.now();
      await started.proc.waitForMessage("connected to the server", {}, 10_000, back);
      const ms = Date.now() - resumedAt;
      console.log(`reconnected ${ms} ms after the proxy was back (rounds failing at the proxy retry within 0.4 s)`);
      expect(ms).toBeLessThan(5_000); // was ${ms}
      expect((await fetch(`${started.http}/server/time`)).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });

  test("the cntlm/px path: a local proxy without auth, chained to an authenticating parent", async () => {
    // tinyproxy's `Upstream http user:pass@parent` stands in for cntlm/px (which add NTLM/Kerberos there).
    const helper = await Tinyproxy.start({ upstream: `${AUTH.user}:${AUTH.password}@127.0.0.1:${guarded.port}` });
    try {
      const started = await client("via-helper", { RP_CLIENT_PROXY: helper.url() });
      await server.proc.waitForMessage("client connected", { client: "via-helper" });
      expect((await fetch(`${started.http}/server/time`)).status).toBe(200);
      expect(helper.logs.some((line) => line.includes(`CONNECT 127.0.0.1:${server.pipePort}`))).toBe(true);
    } finally {
      await helper.stop();
    }
  });
});

test("NO_PROXY: a listed server is dialled directly; the start line says the proxy is not used", async () => {
  const started = await client("bypass", { RP_CLIENT_PROXY: "http://127.0.0.1:1", NO_PROXY: "localhost, 127.0.0.0/8" });
  await server.proc.waitForMessage("client connected", { client: "bypass" });
  expect((await started.proc.waitForMessage("client started"))["proxy"]).toBe("not used for this server (RP_CLIENT_NO_PROXY localhost,127.0.0.0/8)");
  expect((await started.proc.waitForMessage("connected to the server"))["via"]).toBeUndefined();
});

test("a proxy that black-holes an established tunnel: heartbeats detect it", async () => {
  const relay = new Relay(server.pipePort);
  const proxy = new ScriptedProxy({ kind: "relay", port: relay.port });
  try {
    const started = await client("black-holed", { RP_CLIENT_PROXY: proxy.url, RP_CLIENT_HEARTBEAT_INTERVAL_S: "0.2", RP_CLIENT_HEARTBEAT_TIMEOUT_S: "1" });
    await started.proc.waitForMessage("connected to the server");
    const mark = started.proc.logs.length;
    relay.freeze();
    const lost = await started.proc.waitForMessage("lost the pipe to the server", {}, 10_000, mark);
    expect(String(lost["reason"])).toMatch(/sent nothing for \d+ ms and did not answer a heartbeat/);
  } finally {
    proxy.stop();
    relay.stop();
  }
});

test("a TLS-inspecting proxy: the reason names the foreign issuer, in the log and /readyz", async () => {
  const interceptor = await InterceptingTlsServer.start();
  const proxy = new ScriptedProxy({ kind: "relay", port: interceptor.port });
  try {
    const started = await client("inspected", { RP_CLIENT_PROXY: proxy.url });
    const failed = await started.proc.waitForMessage("cannot connect to the server");
    const cause = `the server's certificate is not from this client's CA: a TLS-inspecting proxy may be in the way (issuer: CN=${InterceptingTlsServer.CA_CN}; `;
    expect(String(failed["reason"])).toContain(cause);
    expect((await readyz(started.http)).reason).toContain(cause);
  } finally {
    proxy.stop();
    interceptor.stop();
  }
});
