import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { followIdentity, type IdentityListener, type IdentitySource, type LoadedIdentity } from "../../../src/identity/index.ts";
import type { Transport, TransportSink } from "../../../src/pipe/index.ts";
import { pemBlocks } from "../../../src/pki/index.ts";
import type { RefusedConnection, Runtime, TlsConnectOptions, TlsIdentity, TlsListener, TlsListenOptions } from "../../../src/runtime/index.ts";
import { makeTestPki, waitUntil, type TestPki } from "../../support/index.ts";
import { loadedFrom, recordingLogger } from "./_support.ts";

let pki: TestPki;
let serverA: LoadedIdentity;
let serverB: LoadedIdentity;
let alice: { der: Uint8Array; serial: string };
let bob: { der: Uint8Array; serial: string };
beforeAll(async () => {
  pki = await makeTestPki();
  serverA = await loadedFrom(pki.server);
  serverB = await loadedFrom(await pki.serverIdentity("localhost"));
  const peer = async (cn: string) => {
    const loaded = await loadedFrom(await pki.client(cn));
    return { der: pemBlocks(loaded.identity.certPem)[0]!.der, serial: loaded.certificate.serialHex };
  };
  [alice, bob] = await Promise.all([peer("alice"), peer("bob")]);
});
afterAll(() => pki.cleanup());

/** A runtime that records what it is asked and hands out fake listeners. */
function fakeRuntime(failWith?: (identity: TlsIdentity) => Error | undefined) {
  const listens: Array<{ options: TlsListenOptions; stops: boolean[] }> = [];
  const dials: TlsConnectOptions[] = [];
  const runtime: Runtime = {
    name: "fake",
    serveHttp: () => ({ url: "http://fake", port: 1, stop: async () => {} }),
    connectTls: async (options) => {
      dials.push(options);
      return fakeTransport(new Uint8Array());
    },
    listenTls: (options) => {
      const error = failWith?.(options.identity);
      if (error) throw error;
      const entry = { options, stops: [] as boolean[] };
      listens.push(entry);
      const listener: TlsListener = { hostname: options.hostname, port: options.port || 4321, pendingHandshakes: 1, stop: (all = false) => void entry.stops.push(all) };
      return listener;
    },
  };
  return { runtime, listens, dials };
}

type FakeTransport = Transport & { closed: boolean };

function fakeTransport(der: Uint8Array): FakeTransport {
  let sink: TransportSink | undefined;
  const transport: FakeTransport = {
    peer: { remoteAddress: "127.0.0.1:5555", certificateDer: der },
    closed: false,
    start: (s) => void (sink = s),
    write: () => true,
    scheduleFlush: queueMicrotask,
    close: () => {
      transport.closed = true;
      sink?.closed();
    },
  };
  return transport;
}

/** A source whose changes the test makes. */
function fakeSource(initial: LoadedIdentity): IdentitySource & { change(next: LoadedIdentity): void } {
  let current = initial;
  const listeners: IdentityListener[] = [];
  return {
    get current() {
      return current;
    },
    onChange: (listener) => void listeners.push(listener),
    reload: async () => false,
    close: () => {},
    change(next) {
      const previous = current;
      current = next;
      for (const listener of listeners) listener(next, previous);
    },
  };
}

function listenWith(runtime: Runtime) {
  const accepted: Transport[] = [];
  const refused: RefusedConnection[] = [];
  const listener = runtime.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    identity: serverA.identity,
    handshakeTimeoutMs: 1_000,
    maxPendingHandshakes: 10,
    onConnection: (transport) => accepted.push(transport),
    onRefused: (refusal) => refused.push(refusal),
  });
  return { listener, accepted, refused };
}

describe("followIdentity: dialing", () => {
  test("every dial uses the identity in force at that moment", async () => {
    const fake = fakeRuntime();
    const source = fakeSource(serverA);
    const runtime = followIdentity(fake.runtime, source, recordingLogger().log);
    const options = { hostname: "127.0.0.1", port: 1, identity: serverA.identity, timeoutMs: 1 };
    await runtime.connectTls(options);
    source.change(serverB);
    await runtime.connectTls(options);
    expect(fake.dials.map((dial) => dial.identity)).toEqual([serverA.identity, serverB.identity]);
  });
});

describe("followIdentity: listening", () => {
  test("a new identity: the old listener stops accepting (keeping its connections), a new one takes the same port", async () => {
    const fake = fakeRuntime();
    const source = fakeSource(serverA);
    const { log, records } = recordingLogger();
    const { listener, accepted } = listenWith(followIdentity(fake.runtime, source, log));
    const established = fakeTransport(alice.der);
    fake.listens[0]!.options.onConnection(established);
    await waitUntil(() => accepted.length === 1, "the accept path");
    source.change(serverB);
    expect(fake.listens.map((entry) => [entry.options.port, entry.options.identity, entry.stops])).toEqual([
      [0, serverA.identity, [false]],
      [4321, serverB.identity, []],
    ]);
    expect(established.closed).toBe(false);
    expect(records.find((r) => r.msg === "pipe listener switched to the new identity")).toMatchObject({ connections: 1, gapMs: expect.any(Number) });
    expect([listener.port, listener.pendingHandshakes]).toEqual([4321, 2]);
    listener.stop(true);
    expect(fake.listens.map((entry) => entry.stops)).toEqual([[false, true], [true]]);
  });

  test("an accepted transport keeps the runtime's flush scheduling (losing it meant a socket write per request)", async () => {
    const fake = fakeRuntime();
    const { accepted } = listenWith(followIdentity(fake.runtime, fakeSource(serverA), recordingLogger().log));
    const scheduled: Array<() => void> = [];
    const transport: Transport = { ...fakeTransport(alice.der), scheduleFlush: (flush) => void scheduled.push(flush) };
    fake.listens[0]!.options.onConnection(transport);
    await waitUntil(() => accepted.length === 1, "the accept path");
    let flushed = false;
    accepted[0]!.scheduleFlush(() => (flushed = true));
    expect(scheduled).toHaveLength(1);
    scheduled[0]!();
    expect(flushed).toBe(true);
  });

  test("a change that leaves the TLS material alone keeps the listener", () => {
    const fake = fakeRuntime();
    const source = fakeSource(serverA);
    listenWith(followIdentity(fake.runtime, source, recordingLogger().log));
    source.change({ ...serverA, problem: undefined });
    expect(fake.listens).toHaveLength(1);
  });

  test("when the new identity cannot listen, the previous one listens again", () => {
    const fake = fakeRuntime((identity) => (identity === serverB.identity ? new Error("key values mismatch") : undefined));
    const source = fakeSource(serverA);
    const { log, records } = recordingLogger();
    listenWith(followIdentity(fake.runtime, source, log));
    source.change(serverB);
    expect(fake.listens.map((entry) => entry.options.identity)).toEqual([serverA.identity, serverA.identity]);
    expect(records.find((r) => r.level === "error")).toMatchObject({ msg: "cannot listen with the new identity: listening with the previous one", reason: "key values mismatch" });
  });
});

describe("followIdentity: revocation", () => {
  test("a revocation cuts exactly the connections with that serial, and logs each", async () => {
    const fake = fakeRuntime();
    const source = fakeSource(serverA);
    const { log, records } = recordingLogger();
    const { accepted } = listenWith(followIdentity(fake.runtime, source, log));
    const [a, b] = [fakeTransport(alice.der), fakeTransport(bob.der)];
    fake.listens[0]!.options.onConnection(a);
    fake.listens[0]!.options.onConnection(b);
    await waitUntil(() => accepted.length === 2, "the accept path");
    for (const transport of accepted) transport.start({ data: () => {}, drain: () => {}, closed: () => {} });
    source.change({ ...serverA, identity: { ...serverA.identity, crlPem: "new" }, revoked: new Set([alice.serial]) });
    expect([a.closed, b.closed]).toEqual([true, false]);
    expect(records.filter((r) => r.msg === "client revoked: disconnecting")).toEqual([
      expect.objectContaining({ level: "warn", client: "alice", serial: alice.serial, remote: "127.0.0.1:5555" }),
    ]);
  });

  test("a connection that already closed is forgotten: a later revocation does not touch it", async () => {
    const fake = fakeRuntime();
    const source = fakeSource(serverA);
    const { log, records } = recordingLogger();
    const { accepted } = listenWith(followIdentity(fake.runtime, source, log));
    fake.listens[0]!.options.onConnection(fakeTransport(alice.der));
    await waitUntil(() => accepted.length === 1, "the accept path");
    accepted[0]!.start({ data: () => {}, drain: () => {}, closed: () => {} });
    accepted[0]!.close();
    source.change({ ...serverA, revoked: new Set([alice.serial]) });
    expect(records.filter((r) => r.msg === "client revoked: disconnecting")).toEqual([]);
  });

  test("a revoked certificate is refused on accept even when TLS did not check it (a lapsed CRL)", async () => {
    const fake = fakeRuntime();
    const source = fakeSource({ ...serverA, revoked: new Set([bob.serial]) });
    const { accepted, refused } = listenWith(followIdentity(fake.runtime, source, recordingLogger().log));
    const b = fakeTransport(bob.der);
    fake.listens[0]!.options.onConnection(b);
    fake.listens[0]!.options.onConnection(fakeTransport(alice.der));
    await waitUntil(() => refused.length + accepted.length === 2, "the accept path");
    expect(refused).toEqual([{ remoteAddress: "127.0.0.1:5555", reason: `certificate has been revoked (serial ${bob.serial})`, peerSubject: "CN=bob" }]);
    expect(b.closed).toBe(true);
    expect(accepted.map((t) => t.peer.certificateDer)).toEqual([alice.der]);
  });
});
