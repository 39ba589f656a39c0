import { describe, expect, test } from "bun:test";
import { parseTargets, TargetRotation } from "../../../src/client/targets.ts";

describe("client targets", () => {
  test("hosts, ports, IPv6 in brackets or bare; the default port fills in", () => {
    expect(parseTargets("rp1.example.com, rp2.example.com:1300,[::1]:9, 10.0.0.5 ,::1", 1234)).toEqual([
      { host: "rp1.example.com", port: 1234 },
      { host: "rp2.example.com", port: 1300 },
      { host: "::1", port: 9 },
      { host: "10.0.0.5", port: 1234 },
      { host: "::1", port: 1234 },
    ]);
  });

  test("bad entries are refused naming the entry", () => {
    expect(() => parseTargets("", 1)).toThrow("Cannot dial: no server given; set RP_CLIENT_TARGET_HOSTNAME");
    expect(() => parseTargets("a:0", 1)).toThrow('Cannot dial "a:0": port 0 is not 1-65535');
    expect(() => parseTargets("a:70000", 1)).toThrow("port 70000 is not 1-65535");
    expect(() => parseTargets("a b", 1)).toThrow('Cannot dial "a b": expected host, host:port or [ipv6]:port');
    expect(() => parseTargets("[zz]:1", 1)).toThrow("expected host");
  });

  test("rotation starts where the random number says and walks round the list", () => {
    const targets = parseTargets("a,b,c", 1);
    const rotation = new TargetRotation(targets, () => 0.5);
    expect(rotation.current.host).toBe("b");
    expect([rotation.next().host, rotation.next().host, rotation.next().host]).toEqual(["c", "a", "b"]);
    expect(new TargetRotation(targets, () => 0.9999999).current.host).toBe("c");
    expect(new TargetRotation(targets, () => 0).current.host).toBe("a");
  });

  test("clients spread over the servers", () => {
    const targets = parseTargets("a,b,c,d", 1);
    const counts = new Map<string, number>();
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 4000; i++) {
      const host = new TargetRotation(targets, random).current.host;
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    for (const host of ["a", "b", "c", "d"]) expect(counts.get(host)!).toBeGreaterThan(800);
  });
});
