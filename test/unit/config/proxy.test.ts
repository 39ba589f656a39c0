import { describe, expect, test } from "bun:test";
import { bypassesProxy, describeConfig, loadClientConfig, parseNoProxy } from "../../../src/config/index.ts";
import { problemsOf } from "./_support.ts";

const bypass = (list: string, host: string, port = 1234) => bypassesProxy(parseNoProxy(list), host, port);

describe("NO_PROXY matching", () => {
  test("* bypasses everything", () => {
    expect(bypass("*", "rp.example.com")).toBe(true);
    expect(bypass("*", "10.1.2.3")).toBe(true);
  });

  test("a name matches itself and its subdomains, any case, trailing dot ignored; not a longer name", () => {
    expect(bypass("example.com", "example.com")).toBe(true);
    expect(bypass("example.com", "RP.Example.COM.")).toBe(true);
    expect(bypass("example.com", "badexample.com")).toBe(false);
    expect(bypass("example.com", "example.org")).toBe(false);
  });

  test("a leading dot (or *.) matches subdomains only", () => {
    expect(bypass(".example.com", "rp.example.com")).toBe(true);
    expect(bypass(".example.com", "example.com")).toBe(false);
    expect(bypass("*.example.com", "a.b.example.com")).toBe(true);
    expect(bypass("*.example.com", "example.com")).toBe(false);
  });

  test("IPv4 and IPv6 literals and CIDRs; IPv4-mapped IPv6 counts as IPv4", () => {
    expect(bypass("10.0.0.0/8", "10.200.3.4")).toBe(true);
    expect(bypass("10.0.0.0/8", "11.0.0.1")).toBe(false);
    expect(bypass("192.168.1.7", "192.168.1.7")).toBe(true);
    expect(bypass("192.168.1.7", "192.168.1.8")).toBe(false);
    expect(bypass("fd00::/8", "fd12:3456::1")).toBe(true);
    expect(bypass("fd00::/8", "fe80::1")).toBe(false);
    expect(bypass("::1", "::1")).toBe(true);
    expect(bypass("[::1]", "::1")).toBe(true);
    expect(bypass("10.0.0.0/8", "::ffff:10.1.1.1")).toBe(true);
    expect(bypass("0.0.0.0/0", "203.0.113.9")).toBe(true);
    expect(bypass("0.0.0.0/0", "2001:db8::1")).toBe(false);
  });

  test("no DNS: a name does not match an IP rule, nor an IP a name rule", () => {
    expect(bypass("127.0.0.0/8", "localhost")).toBe(false);
    expect(bypass("localhost", "127.0.0.1")).toBe(false);
  });

  test("an entry with a port matches that port only", () => {
    expect(bypass("rp.example.com:1234", "rp.example.com", 1234)).toBe(true);
    expect(bypass("rp.example.com:1234", "rp.example.com", 443)).toBe(false);
    expect(bypass("[2001:db8::1]:443", "2001:db8::1", 443)).toBe(true);
    expect(bypass("10.0.0.1:443", "10.0.0.1", 1234)).toBe(false);
  });

  test("lists separated by commas and/or spaces; empty entries ignored; an empty list bypasses nothing", () => {
    expect(bypass(" localhost, ,.corp  10.0.0.0/8 ", "x.corp")).toBe(true);
    expect(parseNoProxy(" localhost, ,.corp  10.0.0.0/8 ").text).toBe("localhost,.corp,10.0.0.0/8");
    expect(bypass("", "rp.example.com")).toBe(false);
    expect(bypassesProxy(undefined, "rp.example.com", 1)).toBe(false);
  });
});

describe("the proxy settings", () => {
  test("RP_CLIENT_PROXY: credentials percent-decoded; port 80 by default; no scheme means http", () => {
    expect(loadClientConfig({ env: { RP_CLIENT_PROXY: "http://al%40ice:p%3Ass@proxy.corp:3128" } }).proxy).toEqual({
      host: "proxy.corp",
      port: 3128,
      username: "al@ice",
      password: "p:ss",
    });
    expect(loadClientConfig({ env: { RP_CLIENT_PROXY: "http://proxy.corp" } }).proxy).toEqual({ host: "proxy.corp", port: 80 });
    expect(loadClientConfig({ env: { RP_CLIENT_PROXY: "10.0.0.1:8080" } }).proxy).toEqual({ host: "10.0.0.1", port: 8080 });
    expect(loadClientConfig({ env: { RP_CLIENT_PROXY: "http://[fd00::1]:3128/" } }).proxy).toEqual({ host: "fd00::1", port: 3128 });
  });

  test("the conventional variables, lower case first; RP_CLIENT_PROXY wins, and empty turns them off", () => {
    expect(loadClientConfig({ env: { HTTPS_PROXY: "http://upper:1", https_proxy: "http://lower:2" } }).proxy?.host).toBe("lower");
    expect(loadClientConfig({ env: { ALL_PROXY: "http://all:3" } }).proxy?.host).toBe("all");
    expect(loadClientConfig({ env: { HTTPS_PROXY: "http://upper:1", RP_CLIENT_PROXY: "http://mine:4" } }).proxy?.host).toBe("mine");
    expect(loadClientConfig({ env: { HTTPS_PROXY: "http://upper:1", RP_CLIENT_PROXY: "" } }).proxy).toBeUndefined();
    expect(loadClientConfig({ env: { HTTPS_PROXY: "http://upper:1" }, flags: { proxy: "http://flag:5" } }).proxy?.host).toBe("flag");
    expect(loadClientConfig({ env: { NO_PROXY: ".corp", no_proxy: ".lower" } }).noProxy.text).toBe(".lower");
    expect(loadClientConfig({ env: { NO_PROXY: ".corp", RP_CLIENT_NO_PROXY: "*" } }).noProxy.text).toBe("*");
  });

  test("config check shows the user and (set), never the password", () => {
    const config = loadClientConfig({ env: { RP_CLIENT_PROXY: "http://alice:hunter2@proxy.corp:3128", NO_PROXY: "10.0.0.0/8" } });
    const rows = describeConfig(config, "client");
    const proxy = rows.find((row) => row.key === "proxy")!;
    expect(proxy).toMatchObject({ value: "http://alice:(set)@proxy.corp:3128", source: "env", env: "RP_CLIENT_PROXY", flag: "--proxy" });
    expect(rows.find((row) => row.key === "noProxy")).toMatchObject({ value: "10.0.0.0/8", env: "NO_PROXY" });
    expect(JSON.stringify(rows)).not.toContain("hunter2");
  });

  test("refusals name the rule and hide the value (it may hold a password)", () => {
    expect(problemsOf(() => loadClientConfig({ env: { HTTPS_PROXY: "socks5://bob:hunter2@h:1080" } }))).toEqual([
      "HTTPS_PROXY=(hidden): must be an http:// proxy URL (socks5: proxies are not supported; set RP_CLIENT_PROXY to an http:// proxy, or to an empty value to dial directly)",
    ]);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_PROXY: "http://bob:hunter2@h:1080/path" } }))).toEqual([
      "RP_CLIENT_PROXY=(hidden): must be http://[USER:PASSWORD@]HOST:PORT with no path",
    ]);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_PROXY: "http://h:99999" } }))).toEqual(["RP_CLIENT_PROXY=(hidden): must be a proxy URL http://[USER:PASSWORD@]HOST:PORT"]);
    expect(problemsOf(() => loadClientConfig({ env: { RP_CLIENT_NO_PROXY: "10.0.0.0/33" } }))).toEqual([
      'RP_CLIENT_NO_PROXY="10.0.0.0/33": must list host names, .domains, IP addresses or CIDRs (optionally with :PORT), or *, separated by commas: "10.0.0.0/33" is not a CIDR',
    ]);
  });
});
