/**
 * The fleet router of server A over an in-memory fleet store and in-memory
 * peer links, in virtual time: a local pipe first, else a forwarder carrying
 * the CN and the epoch of the claim, the bounded wait woken by a claim, 503
 * (naming NATS when it is down), a stale refusal routed again to the newer
 * epoch, 502 and 504 refusals, a failed dial waiting for a newer claim and
 * remembered briefly.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { parseSelector, RecentClients, RegistryDirectory } from "../../../src/fanout/index.ts";
import { FleetRouter, PeerLinks, Presence, REFUSED_EPOCH_SKIP_MS, type ServerRecord } from "../../../src/fleet/index.ts";
import { NotConnectedError, PeerUnavailableError, Pipe, PipeClosedError, PipeRegistry, RequestTimeoutError, type InboundHandler } from "../../../src/pipe/index.ts";
import { Capability, type Event } from "../../../src/wire/index.ts";
import { FakeClock, memoryPair, settle } from "../../support/index.ts";
import { MemoryFleet } from "../../support/memory-fleet-store.ts";

const opened: Pipe[] = [];
const presences: Presence[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
  for (const presence of presences.splice(0)) presence.stop();
});

function pipePair(onEvent: InboundHandler, name: string, capabilities: string[] = []): Pipe {
  const [near, far] = memoryPair();
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, capabilities };
  const ours = new Pipe(near, { peer: { name, remoteAddress: `memory:${name}` }, onEvent: () => ({ code: 0 }), ...base });
  opened.push(ours, new Pipe(far, { peer: { name: "a", remoteAddress: "memory:a" }, onEvent, ...base }));
  return ours;
}

const timing = { refreshMs: 1_000, deadAfterMs: 3_000 };
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);

async function setup(remote: InboundHandler = (event) => ({ code: 0, mimetype: "text/plain", data: new TextEncoder().encode(`${event.fleetTarget}@${event.fleetEpoch}`) })) {
  const clock = new FakeClock();
  const fleet = new MemoryFleet();
  const join = async (id: string) => {
    const presence = new Presence(fleet.store(), { id, fleet: "blue", address: `10.0.0.${id === "a" ? 1 : 2}:1234`, cn: "server" }, clock, timing, { takenOver: () => {}, changed: (cn) => router?.changed(cn) });
    await presence.start();
    presences.push(presence);
    return presence;
  };
  let router: FleetRouter | undefined;
  const a = await join("a");
  const b = await join("b");
  const registry = new PipeRegistry(clock);
  const dials: string[] = [];
  let refuseDial: string | undefined;
  const links = new PeerLinks(async (server: ServerRecord) => {
    dials.push(server.address);
    if (refuseDial !== undefined) throw new Error(refuseDial);
    return pipePair(remote, `server ${server.address}`, [Capability.Fleet]);
  }, clock);
  router = new FleetRouter({ registry, links, clock, selfId: "a", fleet: "blue", presence: () => a, natsUp: () => !fleet.down });
  await settle();
  return { clock, fleet, a, b, registry, router, dials, refuseWith: (reason: string | undefined) => (refuseDial = reason) };
}

const signal = () => new AbortController().signal;

describe("the fleet router", () => {
  test("a client held here is answered by its own pipe; one held by B through a forwarder naming it and its epoch", async () => {
    const s = await setup();
    const local = pipePair(() => ({ code: 0 }), "x");
    s.registry.add(local);
    expect(await s.router.acquire("x", 1_000, signal())).toBe(local);
    const epoch = await s.b.claim("y");
    await settle();
    const target = await s.router.acquire("y", 1_000, signal());
    expect(target.peer).toEqual({ name: "y", remoteAddress: "via server 10.0.0.2:1234" });
    await settle();
    const reply = await target.request({ verb: "get", noun: "who" });
    expect(text(reply.data)).toBe(`y@${epoch}`);
    expect(s.router.counters.forwarded).toBe(1);
  });

  test("a request for a CN held nowhere waits, is woken by the claim, and is 503 after the wait otherwise", async () => {
    const s = await setup();
    const waiting = s.router.acquire("late", 5_000, signal());
    await s.clock.advance(1_000);
    await s.b.claim("late");
    await settle();
    expect((await waiting).peer.name).toBe("late");
    const never = s.router.acquire("never", 2_000, signal()).catch((error: unknown) => error);
    await s.clock.advance(2_001);
    const error = (await never) as Error;
    expect(error).toBeInstanceOf(NotConnectedError);
    expect(error.message).toBe('Cannot reach "never": not connected (waited 2 s)');
  });

  test("with NATS down, the 503 after the wait says the other servers' clients are unknown", async () => {
    const s = await setup();
    s.fleet.down = true;
    const waiting = s.router.acquire("x", 1_000, signal()).catch((error: unknown) => error);
    await s.clock.advance(1_001);
    const error = (await waiting) as Error;
    expect(error).toBeInstanceOf(PeerUnavailableError);
    expect(error.message).toContain("NATS (the fleet's presence) is unreachable");
  });

  test("a stale refusal is routed again once a newer epoch is claimed; 502 and 504 refusals become their errors", async () => {
    let refusals: Array<{ status: number; reason: string }> = [{ status: 503, reason: "stale" }];
    const seen: Event[] = [];
    const s = await setup((event) => {
      seen.push(event);
      const refusal = refusals.shift();
      return refusal ? { code: 0, data: new Uint8Array(0), fleetRefusal: refusal.reason, fleetStatus: refusal.status } : { code: 0, data: new TextEncoder().encode(`ok@${event.fleetEpoch}`) };
    });
    const first = await s.b.claim("x");
    await settle();
    const target = await s.router.acquire("x", 5_000, signal());
    const answered = target.request({ verb: "get", noun: "who" });
    await settle();
    const second = await s.b.claim("x");
    await settle();
    expect(text((await answered).data)).toBe(`ok@${second}`);
    expect(seen.map((event) => [event.fleetEpoch, event.fleetSender, event.fleetName])).toEqual([
      [first, "a", "blue"],
      [second, "a", "blue"],
    ]);
    refusals = [{ status: 502, reason: "the pipe to x closed" }];
    const lost = await (await s.router.acquire("x", 1_000, signal())).request({ verb: "get", noun: "who" }).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(PipeClosedError);
    expect((lost as Error).message).toContain("server 10.0.0.2:1234 answered: the pipe to x closed");
    refusals = [{ status: 504, reason: "no reply" }];
    const late = await (await s.router.acquire("x", 1_000, signal())).request({ verb: "get", noun: "who" }, { deadlineMs: 700 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(RequestTimeoutError);
  });

  test("a holder that refuses the session it holds is asked again after a moment, not waited on for the whole wait; the refusals are bounded", async () => {
    let refusals = 1;
    const seen: number[] = [];
    const s = await setup((event) => {
      seen.push(event.fleetEpoch ?? -1);
      if (refusals-- > 0) return { code: 0, data: new Uint8Array(0), fleetRefusal: "the session is not held here", fleetStatus: 503 };
      return { code: 0, data: new TextEncoder().encode(`ok@${event.fleetEpoch}`) };
    });
    const epoch = await s.b.claim("x");
    await settle();
    const answered = (await s.router.acquire("x", 20_000, signal())).request({ verb: "get", noun: "who" });
    await settle();
    await s.clock.advance(REFUSED_EPOCH_SKIP_MS);
    await settle();
    expect(text((await answered).data)).toBe(`ok@${epoch}`);
    expect(seen).toEqual([epoch, epoch]);
    // A holder that keeps refusing: the request ends with its refusal after the reroutes, long before the 20 s wait.
    refusals = 100;
    const refused = (await s.router.acquire("x", 20_000, signal())).request({ verb: "get", noun: "who" }).catch((error: unknown) => error as Error);
    for (let i = 0; i < 4; i++) {
      await settle();
      await s.clock.advance(REFUSED_EPOCH_SKIP_MS);
    }
    const error = await refused;
    expect(error).toBeInstanceOf(PeerUnavailableError);
    expect((error as Error).message).toBe('Cannot reach "x": server 10.0.0.2:1234 answered: the session is not held here');
    expect(s.clock.now()).toBeLessThan(5_000);
  });

  test("a failed dial (nothing sent) waits for a newer claim within the wait, else is a 503 naming the server and the reason; the failure is remembered briefly", async () => {
    const s = await setup();
    s.refuseWith("Cannot link to server 10.0.0.2:1234: refused");
    await s.b.claim("x");
    await settle();
    const failure = async (waitMs: number) => (await s.router.acquire("x", waitMs, signal())).request({ verb: "get", noun: "who" }).catch((error: unknown) => error as Error);
    const first = failure(1_000);
    await settle();
    await s.clock.advance(1_001);
    const error = (await first) as Error;
    expect(error).toBeInstanceOf(PeerUnavailableError);
    expect(error.message).toBe('Cannot reach "x" on server 10.0.0.2:1234: Cannot link to server 10.0.0.2:1234: refused');
    expect(s.dials.length).toBe(1);
    // The holder was killed and its client re-homes: the request waits for the new claim rather than fail.
    await s.clock.advance(600);
    const rehomed = failure(5_000);
    await settle();
    expect(s.dials.length).toBe(2);
    await s.clock.advance(600);
    s.refuseWith(undefined);
    const epoch = await s.b.claim("x");
    await settle();
    const reply = (await rehomed) as Awaited<ReturnType<Pipe["request"]>>;
    expect(text(reply.data)).toBe(`x@${epoch}`);
    expect(s.dials.length).toBe(3);
    expect(s.router.counters.linkFailed).toBe(2);
  });
});

describe("a fan-out on one server of a fleet", () => {
  const recent = () => new RecentClients(10, () => 0);

  test("asks its own clients by their pipes and the other servers' clients through forwarders, selected by the labels in their claims", async () => {
    const s = await setup();
    const local = pipePair(() => ({ code: 0 }), "edge-1");
    s.registry.add(local);
    await s.b.claim("edge-2", { role: "db" });
    await s.b.claim("edge-3");
    await settle();
    const remote = { all: () => s.a.remoteClaims(), get: (cn: string) => (s.router.forwarder(cn) ? { name: cn, pipe: s.router.forwarder(cn)! } : undefined) };
    const directory = new RegistryDirectory(s.registry, recent(), () => remote);
    const options = { includeOffline: false, limit: 100 };

    const everyone = await directory.select(parseSelector("*"), options);
    expect(everyone.targets.map((target) => target.name).sort()).toEqual(["edge-1", "edge-2", "edge-3"]);
    expect(everyone.targets.find((target) => target.name === "edge-1")?.pipe).toBe(local);

    const byLabel = await directory.select(parseSelector("role=db"), options);
    expect(byLabel.targets.map((target) => target.name)).toEqual(["edge-2"]);
    const reply = await byLabel.targets[0]!.pipe!.request({ verb: "get", noun: "who" });
    expect(text(reply.data)).toMatch(/^edge-2@\d+$/);

    const listed = await directory.select(parseSelector("edge-3,edge-9"), { includeOffline: true, limit: 100 });
    expect(listed.targets.map((target) => [target.name, target.pipe === undefined])).toEqual([
      ["edge-3", false],
      ["edge-9", true],
    ]);
  });

  test("counts the other servers' matches past the limit without making their forwarders, and skips a dead server's clients", async () => {
    const s = await setup();
    for (const cn of ["r1", "r2", "r3"]) await s.b.claim(cn);
    await settle();
    let made = 0;
    const remote = { all: () => s.a.remoteClaims(), get: (cn: string) => (made++, { name: cn, pipe: s.router.forwarder(cn)! }) };
    const directory = new RegistryDirectory(s.registry, recent(), () => remote);
    const capped = await directory.select(parseSelector("*"), { includeOffline: false, limit: 1 });
    expect([capped.matched, capped.targets.length, made]).toEqual([3, 1, 1]);

    // B stops refreshing: past deadAfterMs its claims are no one's.
    s.b.stop();
    await s.clock.advance(timing.deadAfterMs + timing.refreshMs + 1);
    expect([...s.a.remoteClaims()]).toEqual([]);
    expect(s.router.forwarder("r1")).toBeUndefined();
  });

  test("a claim's labels in NATS are believed only when they parse as labels: anything else is dropped, never matched", async () => {
    const s = await setup();
    const hostile = [{ ROLE: "db" }, { role: 7 }, ["role=db"], "role=db", Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]))];
    for (const [i, labels] of hostile.entries()) s.fleet.presence.values.set(`h${i}`, { value: { cn: `h${i}`, server: "b", since: 0, labels } as never, revision: 900 + i });
    s.a.stop();
    const fresh = new Presence(s.fleet.store(), { id: "c", fleet: "blue", address: "10.0.0.3:1234", cn: "server" }, s.clock, timing, { takenOver: () => {} });
    await fresh.start();
    presences.push(fresh);
    const seen = [...fresh.remoteClaims()].filter((claim) => claim.name.startsWith("h"));
    expect(seen.map((claim) => [claim.name, claim.labels])).toEqual(hostile.map((_, i) => [`h${i}`, {}]));
  });
});
