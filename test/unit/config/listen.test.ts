import { describe, expect, test } from "bun:test";
import { ConfigError, formatListen, isLoopbackHost, parseListen, type Listen } from "../../../src/config/index.ts";

const EXPECTED = "expected HOST:PORT, [IPV6]:PORT or unix:PATH";

describe("parseListen", () => {
  test.each<[string, Listen]>([
    ["127.0.0.1:8080", { kind: "tcp", host: "127.0.0.1", port: 8080 }],
    ["[::1]:8080", { kind: "tcp", host: "::1", port: 8080 }],
    ["[::]:0", { kind: "tcp", host: "::", port: 0 }],
    ["[::ffff:127.0.0.1]:1", { kind: "tcp", host: "::ffff:127.0.0.1", port: 1 }],
    ["localhost:0", { kind: "tcp", host: "localhost", port: 0 }],
    ["rp.example.com:65535", { kind: "tcp", host: "rp.example.com", port: 65_535 }],
    ["unix:/run/rp.sock", { kind: "unix", path: "/run/rp.sock" }],
    ["unix:rp.sock", { kind: "unix", path: "rp.sock" }],
  ])("%s", (text, expected) => {
    const listen = parseListen(text);
    expect(listen).toEqual(expected);
    expect(Object.isFrozen(listen)).toBe(true);
    expect(formatListen(listen)).toBe(text);
  });

  test.each([
    ["", `is empty (${EXPECTED})`],
    ["127.0.0.1", `has no port (${EXPECTED})`],
    ["[::1]", `has no port (${EXPECTED})`],
    ["[::1", "has no ] after the IPv6 address"],
    ["[::1]8080", 'has "8080" after ], expected :PORT'],
    ["[127.0.0.1]:80", 'has "127.0.0.1" in brackets, which is not an IPv6 address'],
    ["[fe80::1%eth0]:80", 'has "fe80::1%eth0" in brackets, which is not an IPv6 address'],
    ["::1:8080", "has an IPv6 address without brackets; write it as [::1]:8080"],
    [":8080", "has no host; use 0.0.0.0 or [::] to listen on every interface"],
    ["127.0.0.1:65536", 'has port "65536", which is not an integer 0-65535'],
    ["127.0.0.1:", 'has port "", which is not an integer 0-65535'],
    ["127.0.0.1:-1", 'has port "-1", which is not an integer 0-65535'],
    ["127.0.0.1:80x", 'has port "80x", which is not an integer 0-65535'],
    ["[::1]:123456", 'has port "123456", which is not an integer 0-65535'],
    ["bad_host:80", 'has host "bad_host", which is not an IP address or host name'],
    ["300.0.0.1:80", 'has host "300.0.0.1", which is not an IP address or host name'],
    ["unix:", "has an empty unix socket path"],
    [`unix:/${"a".repeat(107)}`, "has a unix socket path of 108 bytes; the limit is 107"],
  ])("%j is refused: %s", (text, problem) => {
    const message = `listen address ${JSON.stringify(text)}: ${problem}`;
    expect(() => parseListen(text)).toThrow(new ConfigError([message]));
    try {
      parseListen(text);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([message]);
    }
  });

  test("a unix path of exactly the limit is accepted", () => {
    const path = `/${"a".repeat(106)}`;
    expect(parseListen(`unix:${path}`)).toEqual({ kind: "unix", path });
  });
});

describe("isLoopbackHost", () => {
  test.each(["127.0.0.1", "127.0.0.2", "127.255.255.255", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost", "LOCALHOST", "localhost."])(
    "%s is loopback",
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  test.each(["0.0.0.0", "10.0.0.1", "::", "128.0.0.1", "126.255.255.255", "1.127.0.0", "::2", "::ffff:10.0.0.1", "localhost.example.com", "example.com"])(
    "%s is not loopback",
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});
