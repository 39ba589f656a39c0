/** RP_CLIENT_TARGET_HOSTNAME as a list of servers: syntax, the default port, how config check shows it. */
import { describe, expect, test } from "bun:test";
import { clientTargets, ConfigError, describeConfig, loadClientConfig, MAX_TARGETS, parseTargetList } from "../../../src/config/index.ts";

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe("client targets", () => {
  test("hosts, ports, IPv6 in brackets or bare; the default port fills in; repeats are dropped", () => {
    const config = loadClientConfig({ env: { RP_CLIENT_TARGET_HOSTNAME: "rp1.example.com, rp2.example.com:1300,[::1]:9, 10.0.0.5 ,rp1.example.com:1234,RP1.example.com", RP_CLIENT_TARGET_PORT: "1234" } });
    expect(clientTargets(config)).toEqual([
      { host: "rp1.example.com", port: 1234 },
      { host: "rp2.example.com", port: 1300 },
      { host: "::1", port: 9 },
      { host: "10.0.0.5", port: 1234 },
    ]);
    expect(clientTargets(loadClientConfig({ env: { RP_CLIENT_TARGET_HOSTNAME: "::1" } }))).toEqual([{ host: "::1", port: 1234 }]);
  });

  test("config check shows the list (one bare host as before: brackets dropped)", () => {
    const row = (env: Record<string, string>) => describeConfig(loadClientConfig({ env }), "client").find((r) => r.key === "targetHostname")!.value;
    expect(row({ RP_CLIENT_TARGET_HOSTNAME: " a.example , b.example:1300,[fd00::5]:9 " })).toBe("a.example,b.example:1300,[fd00::5]:9");
    expect(row({ RP_CLIENT_TARGET_HOSTNAME: "[::1]" })).toBe("::1");
    expect(row({})).toBe("localhost");
  });

  test("bad entries are refused naming the entry", () => {
    const problem = (value: string) => problemsOf(() => loadClientConfig({ env: { RP_CLIENT_TARGET_HOSTNAME: value } }))[0] ?? "";
    const rule = "must list servers as HOST or HOST:PORT separated by commas (IPv6 as [ADDRESS] or [ADDRESS]:PORT)";
    expect(problem(",")).toBe(`RP_CLIENT_TARGET_HOSTNAME=",": ${rule}; none given`);
    expect(problem("a:0")).toBe(`RP_CLIENT_TARGET_HOSTNAME="a:0": ${rule}; "a:0" has port 0, not 1-65535`);
    expect(problem("a,b:70000")).toContain('"b:70000" has port 70000, not 1-65535');
    expect(problem("a b")).toContain('"a b" has no valid IP address or host name');
    expect(problem("[zz]:1")).toContain('"[zz]:1" has no valid IP address or host name');
    expect(problem("a:1:2")).toContain('"a:1:2" is not HOST, HOST:PORT or [IPV6]:PORT');
    expect(problem(Array.from({ length: MAX_TARGETS + 1 }, (_, i) => `h${i}`).join(","))).toContain(`at most ${MAX_TARGETS} servers, got ${MAX_TARGETS + 1}`);
    expect(() => parseTargetList("rp.example.com:443")).not.toThrow();
  });
});
