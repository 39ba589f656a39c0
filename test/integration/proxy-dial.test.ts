/**
 * The runtime adapter's dial through HTTP proxies, on real sockets: a real
 * tinyproxy (with and without Basic auth), and a scripted proxy that
 * refuses, black-holes the tunnel or intercepts TLS. Each failure is
 * reported with its cause; through a good proxy mTLS runs end to end and a
 * request crosses the pipe. Both adapters: the Deno one's dial is node:net
 * and node:tls, which Bun runs too (the same code as under Deno, on Bun's
 * node:tls).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Pipe } from "../../src/pipe/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import { denoRuntime } from "../../src/runtime/deno/index.ts";
import { TransportError, type Runtime, type TlsListener } from "../../src/runtime/index.ts";
import { loadClientConfig } from "../../src/config/index.ts";
import { Capability } from "../../src/wire/index.ts";
import { InterceptingTlsServer, makeTestPki, ScriptedProxy, Tinyproxy, tlsRecords, type FileIdentity, type TestPki } from "../support/index.ts";

const AUTH = { user: "alice", password: "s3cr-t_pw" };
let pki: TestPki;
let identity: FileIdentity;
let listener: TlsListener;
let open: Tinyproxy;
let guarded: Tinyproxy;

beforeAll(async () => {
  pki = await makeTestPki();
  identity = await pki.client("proxied");
  listener = bunRuntime.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    identity: pki.server,
    handshakeTimeoutMs: 5_000,
    maxPendingHandshakes: 16,
    onConnection: (transport) =>
      void new Pipe(transport, {
        peer: { name: "client", remoteAddress: "x" },
        onEvent: (event) => ({ code: 0, data: event.noun === "echo" ? (event.data ?? new Uint8Array()) : new TextEncoder().encode("pong") }),
        heartbeatIntervalMs: 0,
      }),
    onRefused: () => {},
  });
  open = await Tinyproxy.start();
  guarded = await Tinyproxy.start({ basicAuth: AUTH });
});

afterAll(async () => {
  listener?.stop(true);
  await Promise.all([open?.stop(), guarded?.stop()]);
  await pki?.cleanup();
});

/** The proxy setting as rp-client reads it. */
function proxyOf(url: string) {
  return loadClientConfig({ env: { RP_CLIENT_PROXY: url } }).proxy!;
}

function dial(runtime: Runtime, proxyUrl: string, timeoutMs = 5_000) {
  return runtime.connectTls({ hostname: "127.0.0.1", port: listener.port, identity, serverName: "localhost", timeoutMs, proxy: proxyOf(proxyUrl) });
}

async function roundTrip(runtime: Runtime, proxyUrl: string): Promise<string> {
  const transport = await dial(runtime, proxyUrl);
  const pipe = new Pipe(transport, { peer: { name: "server", remoteAddress: "test" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
  const reply = await pipe.request({ verb: "get", noun: "ping" });
  pipe.close();
  await pipe.closed;
  return new TextDecoder().decode(reply.data);
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the dial to fail");
}

for (const runtime of [bunRuntime, denoRuntime]) {
  describe(`${runtime.name} adapter: through tinyproxy`, () => {
    test("without auth: mTLS inside the tunnel, a request crosses; the proxy saw only CONNECT", async () => {
      expect(await roundTrip(runtime, open.url())).toBe("pong");
      expect(open.logs.some((line) => line.includes(`CONNECT 127.0.0.1:${listener.port}`))).toBe(true);
    });

    test("with Basic auth", async () => {
      expect(await roundTrip(runtime, guarded.url(AUTH))).toBe("pong");
    });

    test("without credentials: 407 named, with the scheme asked for and the setting to fix", async () => {
      const message = await failure(dial(runtime, guarded.url()));
      expect(message).toBe(
        `Cannot connect to 127.0.0.1:${listener.port} through the proxy 127.0.0.1:${guarded.port}: the proxy requires authentication (407 Proxy Authentication Required; it asks for Basic); set RP_CLIENT_PROXY=http://USER:PASSWORD@host:port`,
      );
    });

    test("a wrong password: the credentials are refused, the password is not in the message", async () => {
      const message = await failure(dial(runtime, guarded.url({ user: "alice", password: "wrong-pw" })));
      // tinyproxy 1.11 answers wrong credentials with 401 (WWW-Authenticate: Basic).
      expect(message).toEndWith(`through the proxy 127.0.0.1:${guarded.port}: the proxy refused the credentials of user "alice" (401 Unauthorized; it asks for Basic); check the user and password in RP_CLIENT_PROXY`);
      expect(message).not.toContain("wrong-pw");
    });

    test("a server the proxy cannot reach: the proxy's answer is named", async () => {
      const message = await failure(runtime.connectTls({ hostname: "127.0.0.1", port: 1, identity, serverName: "localhost", timeoutMs: 5_000, proxy: proxyOf(open.url()) }));
      expect(message).toMatch(/the proxy could not reach the server \(5\d\d [^)]*\); check RP_CLIENT_TARGET_HOSTNAME/);
    });
  });

  describe(`${runtime.name} adapter: small TLS records in the tunnel`, () => {
    test("every application-data record is under 1 KiB both ways, once the server heard small-records", async () => {
      const relay = new ScriptedProxy({ kind: "relay", port: listener.port });
      try {
        const transport = await dial(runtime, relay.url);
        const pipe = new Pipe(transport, { peer: { name: "server", remoteAddress: "test" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0, capabilities: [Capability.SmallRecords] });
        await pipe.ready;
        // TLS 1.3 sends the handshake's certificates as application data too: count only what follows it.
        const byteCount = (chunks: Uint8Array[]) => chunks.reduce((sum, chunk) => sum + chunk.length, 0);
        const after = { toServer: byteCount(relay.carried.toServer), toClient: byteCount(relay.carried.toClient) };
        const big = new Uint8Array(40_000).fill(7);
        const reply = await pipe.request({ verb: "post", noun: "echo", data: big });
        expect(reply.data?.length).toBe(40_000);
        pipe.close();
        await pipe.closed;
        for (const direction of ["toServer", "toClient"] as const) {
          const data = tlsRecords(relay.carried[direction]).filter((record) => record.type === 23 && record.offset >= after[direction]);
          const largest = Math.max(...data.map((record) => record.length));
          expect({ direction, body: data.reduce((sum, record) => sum + record.length, 0) > 40_000, small: largest <= 1024 }).toEqual({ direction, body: true, small: true }); // largest ${largest}
        }
      } finally {
        relay.stop();
      }
    });
  });

  describe(`${runtime.name} adapter: failures with a cause`, () => {
    test("the proxy is unreachable", async () => {
      const message = await failure(dial(runtime, "http://127.0.0.1:1"));
      expect(message).toStartWith(`Cannot connect to 127.0.0.1:${listener.port} through the proxy 127.0.0.1:1: the proxy is unreachable (`);
      expect(message).toEndWith("); check RP_CLIENT_PROXY and that the proxy runs");
    });

    test("403: refused, with the status and reason", async () => {
      const proxy = new ScriptedProxy({ kind: "answer", bytes: "HTTP/1.1 403 Filtered\r\nContent-Length: 0\r\n\r\n" });
      try {
        expect(await failure(dial(runtime, proxy.url))).toEndWith(
          `the proxy refused the tunnel (403 Filtered); ask its operator to allow CONNECT to port ${listener.port}, or set RP_CLIENT_NO_PROXY for this server`,
        );
      } finally {
        proxy.stop();
      }
    });

    test("407 asking for NTLM only: points at a local helper", async () => {
      const proxy = new ScriptedProxy({ kind: "answer", bytes: "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Negotiate\r\n\r\n" });
      try {
        expect(await failure(dial(runtime, proxy.url))).toEndWith(
          "the proxy requires authentication (407 Proxy Authentication Required; it asks for NTLM, Negotiate) that rp-client does not speak (it speaks Basic); run a local helper such as cntlm or px and set RP_CLIENT_PROXY to it",
        );
      } finally {
        proxy.stop();
      }
    });

    test("the proxy closes without answering", async () => {
      const proxy = new ScriptedProxy({ kind: "answer", bytes: "" });
      try {
        expect(await failure(dial(runtime, proxy.url))).toEndWith("the proxy closed the connection before answering CONNECT");
      } finally {
        proxy.stop();
      }
    });

    test("a proxy that never answers CONNECT: the dial times out naming the stage; the proxy got a proper CONNECT", async () => {
      const proxy = new ScriptedProxy({ kind: "silent" });
      try {
        expect(await failure(dial(runtime, proxy.url, 600))).toEndWith("no TLS connection within 600 ms (waiting for the proxy's answer to CONNECT)");
        expect(proxy.requests).toEqual([`CONNECT 127.0.0.1:${listener.port} HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\n\r\n`]);
      } finally {
        proxy.stop();
      }
    });

    test("a black-holed tunnel: the dial times out naming the stage it was in", async () => {
      const proxy = new ScriptedProxy({ kind: "black-hole" });
      try {
        const message = await failure(dial(runtime, proxy.url, 600));
        expect(message).toEndWith("no TLS connection within 600 ms (waiting for the TLS handshake through the proxy's tunnel: is the proxy holding the tunnel's bytes?)");
      } finally {
        proxy.stop();
      }
    });

    test("a TLS-inspecting proxy: the foreign issuer is named", async () => {
      const interceptor = await InterceptingTlsServer.start();
      const proxy = new ScriptedProxy({ kind: "relay", port: interceptor.port });
      try {
        const message = await failure(dial(runtime, proxy.url));
        expect(message).toContain(`through the proxy 127.0.0.1:`);
        // node:tls (the Deno adapter) refuses the chain before the certificate can be read: a throwaway probe reads the issuer.
        expect(message).toContain(`the server's certificate is not from this client's CA: a TLS-inspecting proxy may be in the way (issuer: CN=${InterceptingTlsServer.CA_CN}; `);
      } finally {
        proxy.stop();
        interceptor.stop();
      }
    });
  });

  describe(`${runtime.name} adapter: which failures say the proxy is down (the client's own retry pace)`, () => {
    const proxyDown = async (promise: Promise<unknown>): Promise<boolean> => {
      try {
        await promise;
      } catch (error) {
        expect(error).toBeInstanceOf(TransportError);
        return (error as TransportError).proxyDown;
      }
      throw new Error("expected the dial to fail");
    };
    const scripted = async (behaviour: ConstructorParameters<typeof ScriptedProxy>[0], timeoutMs = 5_000): Promise<boolean> => {
      const proxy = new ScriptedProxy(behaviour);
      try {
        return await proxyDown(dial(runtime, proxy.url, timeoutMs));
      } finally {
        proxy.stop();
      }
    };

    test("down: nothing listens, it closes without answering, it never answers CONNECT", async () => {
      expect(await proxyDown(dial(runtime, "http://127.0.0.1:1"))).toBe(true);
      expect(await scripted({ kind: "answer", bytes: "" })).toBe(true);
      expect(await scripted({ kind: "silent" }, 300)).toBe(true);
    });

    test("not down: the proxy answered (403, 407, 502), or the tunnel opened and then failed", async () => {
      expect(await scripted({ kind: "answer", bytes: "HTTP/1.1 403 Filtered\r\nContent-Length: 0\r\n\r\n" })).toBe(false);
      expect(await scripted({ kind: "answer", bytes: "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n" })).toBe(false);
      expect(await proxyDown(runtime.connectTls({ hostname: "127.0.0.1", port: 1, identity, serverName: "localhost", timeoutMs: 5_000, proxy: proxyOf(open.url()) }))).toBe(false);
      expect(await scripted({ kind: "black-hole" }, 300)).toBe(false);
    });
  });
}
