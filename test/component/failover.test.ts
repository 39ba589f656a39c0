/**
 * The dial loop over several servers, in virtual time: a round dials each in
 * turn with no wait between them, a backoff only after the whole round
 * failed, the next server after a lost pipe, GoAway sends the client
 * elsewhere at once, a name is dialled at each of its addresses, and rounds
 * that failed only at the proxy retry at the proxy's pace.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { PROXY_RETRY_CAP_MS, startDialLoop, type DialLoop, type DialTarget } from "../../src/client/index.ts";
import type { Target } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log/index.ts";
import { Pipe, type Transport } from "../../src/pipe/index.ts";
import { TransportError } from "../../src/runtime/index.ts";
import { FakeClock, memoryPair, settle } from "../support/index.ts";

const HEARTBEATS = { heartbeatIntervalMs: 3_600_000, heartbeatTimeoutMs: 0 };

interface Fleet {
  loop: DialLoop;
  clock: FakeClock;
  /** "label@ms" of every dial. */
  dials: string[];
  /** Labels that accept a dial. */
  up: Set<string>;
  /** The server side of the pipe to each label, while connected. */
  servers: Map<string, Pipe>;
  connectedTo: string[];
}

const loops: DialLoop[] = [];
afterEach(() => {
  for (const loop of loops.splice(0)) loop.stop();
});

const label = (target: DialTarget) => target.address ?? target.host;

function fleet(
  targets: Target[],
  options: { up?: string[]; random?: number; expand?: (target: Target) => Promise<readonly DialTarget[]>; failure?: (target: DialTarget) => Error } = {},
): Fleet {
  const clock = new FakeClock();
  const f: Fleet = { loop: undefined as never, clock, dials: [], up: new Set(options.up ?? []), servers: new Map(), connectedTo: [] };
  f.loop = startDialLoop({
    targets,
    ...(options.expand === undefined ? {} : { expand: options.expand }),
    dial: async (target): Promise<Transport> => {
      f.dials.push(`${label(target)}@${clock.now()}`);
      if (!f.up.has(label(target))) throw options.failure?.(target) ?? new Error(`refused by ${label(target)}`);
      const [client, server] = memoryPair();
      f.servers.set(label(target), new Pipe(server, { peer: { name: "client", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), clock, ...HEARTBEATS }));
      return client;
    },
    open: async (transport) => new Pipe(transport, { peer: { name: "server", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), clock, ...HEARTBEATS, onGoAway: (ms) => f.loop.goAway(ms) }),
    ready: () => f.connectedTo.push(f.loop.target),
    baseMs: 100,
    capMs: 2_000,
    log: silentLogger,
    clock,
    random: () => options.random ?? 0.5,
  });
  loops.push(f.loop);
  return f;
}

const T = (...hosts: string[]): Target[] => hosts.map((host) => ({ host, port: 1 }));

describe("failover over several servers", () => {
  test("the first servers down: the round goes on to the next at once, no backoff in between", async () => {
    const f = fleet(T("a", "b", "c"), { up: ["a"] }); // random 0.5: the round starts at b
    await f.clock.advance(10);
    expect(f.dials).toEqual(["b@0", "c@0", "a@0"]);
    expect(f.connectedTo).toEqual(["a:1"]);
    expect(f.loop.status.state).toBe("connected");
    expect(f.loop.targets).toEqual(["a:1", "b:1", "c:1"]);
  });

  test("a backoff only after a full round failed; each round starts at the same server", async () => {
    const f = fleet(T("a", "b", "c"));
    await f.clock.advance(300);
    // round 1 at 0, then backoff(0) = 50 ms, round 2 at 50, then a quick 225 ms: round 3 at 275
    expect(f.dials).toEqual(["b@0", "c@0", "a@0", "b@50", "c@50", "a@50", "b@275", "c@275", "a@275"]);
    expect(f.loop.status).toMatchObject({ state: "reconnecting", attempt: 3, reason: "refused by a" });
  });

  test("a lost pipe: this client's next server (after the quick first retry), not the one that dropped", async () => {
    const f = fleet(T("a", "b", "c"), { up: ["a", "b", "c"] });
    await f.clock.advance(10_000); // on b, stable
    expect(f.connectedTo).toEqual(["b:1"]);
    f.up.delete("b");
    f.servers.get("b")!.close(); // kill -9 of b
    const lostAt = f.clock.now();
    await f.clock.advance(1_000);
    // random 0.5: this client moves on by 2 (of 1..2), so to a, not to c as every client after b would.
    expect(f.dials.at(-1)).toBe(`a@${lostAt + 50}`);
    expect(f.connectedTo).toEqual(["b:1", "a:1"]);
    expect(f.loop.reconnects).toBe(1);
  });

  test("GoAway: on to the next server at once; the one that said it is dialled only after its retry-after", async () => {
    const f = fleet(T("a", "b"), { up: ["a", "b"], random: 0 }); // starts at a
    await f.clock.advance(10_000);
    f.servers.get("a")!.drain(3_000); // a drains: GoAway(retry after 3 s), held 3 s with random 0
    await settle();
    const goneAt = f.clock.now();
    f.servers.get("a")!.close();
    await f.clock.advance(100);
    expect(f.dials.at(-1)).toBe(`b@${goneAt}`); // backoff(0) with random 0: at once
    expect(f.connectedTo).toEqual(["a:1", "b:1"]);
    // b goes too while a's hold lasts: b is redialled, a is not touched before its time.
    f.up.delete("b");
    f.up.delete("a");
    f.servers.get("b")!.close();
    await f.clock.advance(6_000);
    const toA = f.dials.filter((dial) => dial.startsWith("a@")).map((dial) => Number(dial.slice(2)));
    expect(toA.length).toBeGreaterThan(1);
    expect(toA[1]!).toBeGreaterThanOrEqual(goneAt + 3_000);
    expect(toA[1]!).toBeLessThanOrEqual(goneAt + 3_000 + 2_000); // by the next round after the hold (the cap is 2 s)
  });

  test("GoAway while requests are still in flight: the next server is in use before the draining pipe closes", async () => {
    const f = fleet(T("a", "b"), { up: ["a", "b"], random: 0 });
    await f.clock.advance(10_000);
    f.servers.get("a")!.drain(3_000); // stays open: its requests are not done
    await f.clock.advance(10);
    expect(f.connectedTo).toEqual(["a:1", "b:1"]);
    expect(f.servers.get("a")!.status.state).not.toBe("closed");
    expect(f.loop.reconnects).toBe(0); // a move, not a loss
    await f.clock.advance(5_000);
    const closedAt = f.clock.now();
    f.servers.get("a")!.close();
    f.up.delete("b");
    f.servers.get("b")!.close();
    await f.clock.advance(10_000);
    const toA = f.dials.filter((dial) => dial.startsWith("a@")).map((dial) => Number(dial.slice(2)));
    expect(toA[1]!).toBeGreaterThanOrEqual(closedAt + 3_000); // the retry-after counts from the close
  });

  test("GoAway with no other server to go to (a name of one address): wait for the close, then the retry-after", async () => {
    const expand = async (target: Target) => [{ ...target, address: "10.0.0.1" }];
    const f = fleet([{ host: "rp.example.com", port: 1 }], { up: ["10.0.0.1"], expand, random: 0 });
    await f.clock.advance(10_000);
    f.servers.get("10.0.0.1")!.drain(3_000);
    await f.clock.advance(1_000);
    expect(f.dials).toHaveLength(1);
    expect(f.loop.status).toMatchObject({ state: "reconnecting", reason: "waiting for the draining server to finish: no other server to go to" });
    const closedAt = f.clock.now();
    f.servers.get("10.0.0.1")!.close();
    await f.clock.advance(10_000);
    expect(f.dials.slice(1)).toEqual([`10.0.0.1@${closedAt + 3_000}`]);
    expect(f.loop.status.state).toBe("connected");
  });

  test("GoAway from the only server: wait for its retry-after, as with one server always", async () => {
    const f = fleet(T("a"), { up: ["a"] });
    await f.clock.advance(10_000);
    f.servers.get("a")!.drain(3_000);
    await settle();
    const goneAt = f.clock.now();
    f.servers.get("a")!.close();
    await f.clock.advance(10_000);
    expect(f.dials.slice(1)).toEqual([`a@${goneAt + 4_500}`]);
  });

  test("a name with several addresses: each is dialled; the one that dropped is followed by the next", async () => {
    const name: Target = { host: "rp.example.com", port: 1 };
    const addresses = ["10.0.0.1", "10.0.0.2"];
    const expand = async (target: Target) => addresses.map((address) => ({ ...target, address }));
    const f = fleet([name], { up: ["10.0.0.2"], expand, random: 0 });
    await f.clock.advance(10_000);
    expect(f.dials).toEqual(["10.0.0.1@0", "10.0.0.2@0"]);
    expect(f.connectedTo).toEqual(["rp.example.com:1 (10.0.0.2)"]);
    f.up.add("10.0.0.1");
    f.servers.get("10.0.0.2")!.close();
    await f.clock.advance(1_000);
    expect(f.connectedTo.at(-1)).toBe("rp.example.com:1 (10.0.0.1)");
  });

  test("a name that does not resolve is that target's failure; the next target is dialled", async () => {
    const expand = async (target: Target) => (target.host === "gone.example" ? Promise.reject(new Error("Cannot resolve gone.example: ENOTFOUND")) : [target]);
    const f = fleet(T("gone.example", "b"), { up: ["b"], expand, random: 0 });
    await f.clock.advance(10);
    expect(f.dials).toEqual(["b@0"]);
    expect(f.connectedTo).toEqual(["b:1"]);
  });

  test("rounds that failed only at the proxy retry at the proxy's pace; a server's refusal takes the full backoff", async () => {
    const proxyDown = () => new TransportError("Cannot connect to a:1 through the proxy 127.0.0.1:3128: the proxy is unreachable", { proxyDown: true });
    const down = fleet(T("a"), { failure: proxyDown });
    await down.clock.advance(20_000);
    const gaps = (f: Fleet) => f.dials.slice(1).map((dial, i) => Number(dial.split("@")[1]) - Number(f.dials[i]!.split("@")[1]));
    expect(Math.max(...gaps(down))).toBe(PROXY_RETRY_CAP_MS * 0.75); // [cap/2, cap] with random 0.5
    const refused = fleet(T("a"));
    await refused.clock.advance(20_000);
    expect(Math.max(...gaps(refused))).toBe(1_500); // the 2 s cap's [1, 2] s
  });

  test("a proxy outage leaves the server's backoff where it was: the first refusal after it is retried quickly", async () => {
    let proxyUp = false;
    const failure = (target: DialTarget) =>
      proxyUp ? new Error(`refused by ${label(target)}`) : new TransportError("Cannot connect to a:1 through the proxy: the proxy is unreachable", { proxyDown: true });
    const f = fleet(T("a"), { failure });
    await f.clock.advance(30_000); // 30 s of a dead proxy
    proxyUp = true; // the proxy is back, the server refuses
    const back = f.dials.length;
    await f.clock.advance(2_000);
    const times = f.dials.slice(back - 1).map((dial) => Number(dial.split("@")[1]));
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(1, 4)).toEqual([50, 225, 225]); // the server's backoff from its start: attempt 0, then the quick phase
  });
});
