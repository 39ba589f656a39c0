/** The order a client dials its servers in: a random start, round the list, a name's addresses from a per-client start, GoAway holds. */
import { describe, expect, test } from "bun:test";
import { dialLabel, DialPlan, dialTargets, MAX_ADDRESSES_PER_NAME, type DialTarget } from "../../../src/client/index.ts";
import type { Target } from "../../../src/config/index.ts";

const T = (...hosts: string[]): Target[] => hosts.map((host) => ({ host, port: 1 }));
const hosts = (targets: readonly { host: string }[]) => targets.map((target) => target.host);
/** A seeded generator (Park-Miller): the same sequence every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
}

describe("dial plan", () => {
  test("a round starts where the random number says and covers every target once", () => {
    const targets = T("a", "b", "c");
    expect(hosts(new DialPlan(targets, () => 0.5).order())).toEqual(["b", "c", "a"]);
    expect(hosts(new DialPlan(targets, () => 0.9999999).order())).toEqual(["c", "a", "b"]);
    expect(hosts(new DialPlan(targets, () => 0).order())).toEqual(["a", "b", "c"]);
  });

  test("after a failure or a lost pipe the next round begins at the next target", () => {
    const targets = T("a", "b", "c");
    const plan = new DialPlan(targets, () => 0);
    plan.moveOn(targets[0]!, [targets[0]!], targets[0]!);
    expect(hosts(plan.order())).toEqual(["b", "c", "a"]);
    plan.moveOn(targets[2]!, [targets[2]!], targets[2]!);
    expect(hosts(plan.order())).toEqual(["a", "b", "c"]);
  });

  test("clients spread over the servers (seeded: 4,000 clients over 4 servers)", () => {
    const targets = T("a", "b", "c", "d");
    const random = seeded(7);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const first = new DialPlan(targets, random).order()[0]!.host;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    for (const host of ["a", "b", "c", "d"]) expect(counts.get(host)!).toBeGreaterThan(800); // each was ${counts.get(host)}
  });

  test("the clients of a lost server spread over all the others, each keeping its own next (seeded: 3,000 clients of a among b, c, d)", () => {
    const targets = T("a", "b", "c", "d");
    const random = seeded(11);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      const plan = new DialPlan(targets, random);
      plan.moveOn(targets[0]!, [targets[0]!], targets[0]!); // its pipe to a was lost, wherever its list began
      const order = hosts(plan.order());
      expect([...order].sort()).toEqual(["a", "b", "c", "d"]); // a round still covers every server
      counts.set(order[0]!, (counts.get(order[0]!) ?? 0) + 1);
    }
    expect(counts.get("a")).toBeUndefined();
    for (const host of ["b", "c", "d"]) expect(counts.get(host)!).toBeGreaterThan(800); // each was ${counts.get(host)}
  });

  test("a name's addresses: a per-client start, all of them each round, then the next address after a lost pipe", () => {
    const name: Target = { host: "rp.example.com", port: 1 };
    const other: Target = { host: "10.0.0.9", port: 1 };
    const resolved: DialTarget[] = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((address) => ({ ...name, address }));
    const randoms = [0, 0.5]; // the first picks the target, the second the address offset
    const plan = new DialPlan([name, other], () => randoms.shift()!);
    const arranged = plan.arrange(name, resolved);
    expect(arranged.map((d) => d.address)).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.1"]);
    plan.moveOn(name, arranged, arranged[0]!);
    expect(hosts(plan.order())).toEqual(["rp.example.com", "10.0.0.9"]);
    expect(plan.arrange(name, resolved).map((d) => d.address)).toEqual(["10.0.0.3", "10.0.0.1", "10.0.0.2"]);
    plan.moveOn(name, arranged, arranged[2]!); // the name's last address: on to the next target
    expect(hosts(plan.order())).toEqual(["10.0.0.9", "rp.example.com"]);
    expect(dialLabel(resolved[0]!)).toBe("rp.example.com:1 (10.0.0.1)");
    expect(dialLabel({ host: "::1", port: 9 })).toBe("[::1]:9");
  });

  test("a target that said GoAway is held until its time, then released", () => {
    const [a] = T("a");
    const plan = new DialPlan([a!], () => 0);
    plan.hold(a!, 5_000);
    expect(plan.heldUntil(a!, 4_999)).toBe(5_000);
    expect(plan.heldUntil(a!, 5_000)).toBe(0);
    expect(plan.heldUntil(a!, 1)).toBe(0);
  });

  test("GoAway holds are bounded: past 1,024 the oldest is forgotten", () => {
    const plan = new DialPlan(T("a"), () => 0);
    const addresses = Array.from({ length: 1_100 }, (_, i) => ({ host: "rp.example.com", port: 1, address: `10.0.${i >> 8}.${i & 255}` }));
    for (const address of addresses) plan.hold(address, 5_000);
    expect(plan.heldUntil(addresses[0]!, 0)).toBe(0);
    expect(plan.heldUntil(addresses[75]!, 0)).toBe(0);
    expect(plan.heldUntil(addresses[76]!, 0)).toBe(5_000);
    expect(plan.heldUntil(addresses[1_099]!, 0)).toBe(5_000);
  });

  test("resolving: IP literals and proxied names as they are; a name at each address (bounded, repeats dropped); failures name the name", async () => {
    const lookups: string[] = [];
    const lookup = async (host: string) => (lookups.push(host), host === "many" ? Array.from({ length: 40 }, (_, i) => `10.0.0.${i % 30}`) : ["127.0.0.1", "::1"]);
    expect(await dialTargets({ host: "10.1.1.1", port: 2 }, lookup)).toEqual([{ host: "10.1.1.1", port: 2 }]);
    expect(await dialTargets({ host: "fd00::1", port: 2 }, lookup)).toEqual([{ host: "fd00::1", port: 2 }]);
    expect(await dialTargets({ host: "localhost", port: 2 }, undefined)).toEqual([{ host: "localhost", port: 2 }]);
    expect(lookups).toEqual([]);
    expect(await dialTargets({ host: "localhost", port: 2 }, lookup)).toEqual([
      { host: "localhost", port: 2, address: "127.0.0.1" },
      { host: "localhost", port: 2, address: "::1" },
    ]);
    expect(await dialTargets({ host: "many", port: 2 }, lookup)).toHaveLength(MAX_ADDRESSES_PER_NAME);
    const failing = async () => Promise.reject(new Error("getaddrinfo ENOTFOUND nowhere.example"));
    await expect(dialTargets({ host: "nowhere.example", port: 2 }, failing)).rejects.toThrow(
      "Cannot resolve nowhere.example: getaddrinfo ENOTFOUND nowhere.example; check the name in RP_CLIENT_TARGET_HOSTNAME and the DNS",
    );
  });
});
