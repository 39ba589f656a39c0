/** Presence of CNs and servers in a real nats-server (JetStream KV): claims, takeover, fencing, a dead server swept, its beat key purged. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { openNatsStore, Presence, type FleetStore } from "../../src/fleet/index.ts";
import { systemClock } from "../../src/pipe/index.ts";
import { startNats, type NatsServer } from "../support/nats.ts";
import { waitUntil } from "../support/wait.ts";

const timing = { refreshMs: 100, deadAfterMs: 600 };
let nats: NatsServer;
const stores: FleetStore[] = [];
const presences: Presence[] = [];

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  for (const presence of presences) presence.stop();
  await Promise.all(stores.map((store) => store.close()));
  await nats.stop();
});

async function server(id: string, fleet = "test", takeovers: string[] = []): Promise<Presence> {
  // A first connection may take longer than the product's 5 s while the whole suite loads the machine.
  const store = await openNatsStore({ servers: [nats.url], fleet, serverTtlMs: timing.deadAfterMs, connection: { timeout: 20_000 } });
  stores.push(store);
  const presence = new Presence(store, { id, fleet, address: `127.0.0.1:${1000 + presences.length}`, cn: `server-${id}` }, systemClock, timing, {
    takenOver: (cn, epoch, by) => takeovers.push(`${cn}@${epoch} by ${by}`),
  });
  await presence.start();
  presences.push(presence);
  return presence;
}

describe("fleet presence in NATS", () => {
  test("a claim on one server is located from another, with its epoch; a release removes it", async () => {
    const a = await server("a");
    const b = await server("b");
    const epoch = await a.claim("edge 7/ü");
    await waitUntil(() => b.locate("edge 7/ü") !== undefined, "b sees the claim", 5_000);
    expect(b.locate("edge 7/ü")).toEqual({ server: "a", address: a.liveServers().find((s) => s.id === "a")!.address, epoch });
    expect(a.holdsCurrent("edge 7/ü", epoch)).toBe(true);
    await a.release("edge 7/ü", epoch);
    await waitUntil(() => b.locate("edge 7/ü") === undefined, "b sees the release", 5_000);
  });

  test("a newer claim elsewhere takes over: the old holder is told, its stale epoch is fenced off, its late release removes nothing", async () => {
    const takeovers: string[] = [];
    const a = await server("a2", "test", takeovers);
    const b = await server("b2");
    const old = await a.claim("flapper");
    const newer = await b.claim("flapper");
    expect(newer).toBeGreaterThan(old);
    await waitUntil(() => takeovers.length === 1, "a is told", 5_000);
    expect(takeovers).toEqual([`flapper@${old} by b2`]);
    expect(a.holdsCurrent("flapper", old)).toBe(false);
    expect(b.holdsCurrent("flapper", newer)).toBe(true);
    await a.release("flapper", old);
    await Bun.sleep(200);
    expect(a.locate("flapper")?.server).toBe("b2");
    expect(b.locate("flapper")?.epoch).toBe(newer);
  });

  test("a server that stops refreshing: its clients vanish from lookups and its claims are swept", async () => {
    const dead = await server("dead");
    const alive = await server("alive");
    const epoch = await dead.claim("orphan");
    await waitUntil(() => alive.locate("orphan")?.epoch === epoch, "alive sees the claim", 5_000);
    dead.stop(); // as after kill -9: no more refreshes, no release
    const stoppedAt = performance.now();
    await waitUntil(() => alive.locate("orphan") === undefined, "the claim is ignored", 5_000);
    const gone = performance.now() - stoppedAt;
    expect(gone).toBeLessThan(timing.deadAfterMs + 1_000); // was ${gone}
    await Bun.sleep(timing.refreshMs * 3); // alive's next sweep
    const raw = await openNatsStore({ servers: [nats.url], fleet: "test", serverTtlMs: timing.deadAfterMs });
    stores.push(raw);
    const stored = new Map<string, string | undefined>();
    await new Promise<void>((ready) => void raw.watchPresence((cn, record) => stored.set(cn, record?.server), ready));
    expect(stored.get("orphan")).toBeUndefined(); // deleted from the bucket, not just ignored
  });

  test("a crashed server's beat key is purged by a live server within twice the expiry; the live one's stays", async () => {
    const beatKey = (id: string) => `=beat.${Buffer.from(id, "utf8").toString("base64url")}`;
    const nc = await connect({ servers: [nats.url] });
    try {
      const kv = await new Kvm(nc).open("rp_beats_presence");
      // One key read at a time (a listing of the bucket's keys runs an ordered consumer, which hung once under the full suite).
      const present = async (id: string) => (await kv.get(beatKey(id)))?.operation === "PUT";
      const eventually = async (condition: () => Promise<boolean>, what: string, timeoutMs: number) => {
        const deadline = performance.now() + timeoutMs;
        while (!(await condition())) {
          if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
          await Bun.sleep(50);
        }
      };
      const crashed = await server("crashed", "beats");
      await eventually(() => present("crashed"), "the crashed server's beat is written", 5_000);
      crashed.stop(); // as after kill -9: its store is never closed, so it never purges its own beat
      const stoppedAt = performance.now();
      await server("survivor", "beats");
      await eventually(async () => !(await present("crashed")), "the crashed server's beat is purged", 10_000);
      const gone = performance.now() - stoppedAt;
      expect(gone).toBeLessThan(2 * timing.deadAfterMs + 2_000); // was ${gone}
      expect(await present("survivor")).toBe(true);
    } finally {
      await nc.close();
    }
  }, 60_000);

  test("another fleet name shares nothing", async () => {
    const one = await server("x", "fleet-one");
    const other = await server("y", "fleet-two");
    await one.claim("shared-name");
    await Bun.sleep(300);
    expect(other.locate("shared-name")).toBeUndefined();
    expect(other.liveServers().map((s) => s.id)).toEqual(["y"]);
  });

  test("a fleet name that cannot be a bucket name is refused with the rule", async () => {
    await expect(openNatsStore({ servers: [nats.url], fleet: "a.b", serverTtlMs: 1000 })).rejects.toThrow(
      'Cannot join fleet "a.b": a fleet name has 1-64 letters, digits, "-" or "_"',
    );
  });
});
