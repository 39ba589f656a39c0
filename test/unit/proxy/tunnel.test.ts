import { describe, expect, test } from "bun:test";
import { basicCredentials, connectRequest, formatProxy, offeredSchemes, ProxyError, TunnelHandshake } from "../../../src/proxy/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const PROXY = { host: "proxy.example", port: 3128 };
const WITH_AUTH = { ...PROXY, username: "alice", password: "pa:ss é" };

function refusal(answer: string, proxy: typeof PROXY | typeof WITH_AUTH = PROXY): string {
  try {
    new TunnelHandshake("rp.example.com", 1234, proxy).push(bytes(answer));
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("the CONNECT request", () => {
  test("names the server with a Host header, nothing else without credentials", () => {
    expect(text(connectRequest("rp.example.com", 1234, PROXY))).toBe("CONNECT rp.example.com:1234 HTTP/1.1\r\nHost: rp.example.com:1234\r\n\r\n");
  });

  test("an IPv6 server in brackets", () => {
    expect(text(connectRequest("2001:db8::1", 443, PROXY))).toStartWith("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n");
  });

  test("Basic credentials: base64 of the UTF-8 user:password (a colon in the password is kept)", () => {
    expect(basicCredentials("alice", "pa:ss é")).toBe("YWxpY2U6cGE6c3Mgw6k="); // printf 'alice:pa:ss é' | base64
    expect(text(connectRequest("rp.example.com", 1234, WITH_AUTH))).toContain(`\r\nProxy-Authorization: Basic ${basicCredentials("alice", "pa:ss é")}\r\n\r\n`);
  });
});

describe("formatProxy never shows the password", () => {
  test("user and (set)", () => {
    expect(formatProxy(WITH_AUTH)).toBe("http://alice:(set)@proxy.example:3128");
    expect(formatProxy(PROXY)).toBe("http://proxy.example:3128");
    expect(formatProxy({ host: "::1", port: 8080 })).toBe("http://[::1]:8080");
  });
});

describe("the tunnel handshake", () => {
  test("2xx opens it", () => {
    const handshake = new TunnelHandshake("rp.example.com", 1234, PROXY);
    expect(handshake.push(bytes("HTTP/1.1 200 Connection established\r\n"))).toBe(false);
    expect(handshake.push(bytes("\r\n"))).toBe(true);
  });

  test("bytes after the 200 are not the server's: refused", () => {
    expect(refusal("HTTP/1.1 200 OK\r\n\r\nhello")).toBe("the proxy sent 5 bytes after opening the tunnel, before the TLS handshake: not a plain CONNECT proxy?");
  });

  test("403 names status, reason and the fix", () => {
    expect(refusal("HTTP/1.1 403 Forbidden\r\n\r\n")).toBe(
      "the proxy refused the tunnel (403 Forbidden); ask its operator to allow CONNECT to port 1234, or set RP_CLIENT_NO_PROXY for this server",
    );
  });

  test("407 without credentials asks for them, naming the scheme", () => {
    expect(refusal('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n')).toBe(
      "the proxy requires authentication (407 Proxy Authentication Required; it asks for Basic); set RP_CLIENT_PROXY=http://USER:PASSWORD@host:port",
    );
  });

  test("407 with credentials: they were refused (user named, password not)", () => {
    const message = refusal("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n", WITH_AUTH);
    expect(message).toBe('the proxy refused the credentials of user "alice" (407 Proxy Authentication Required; it asks for Basic); check the user and password in RP_CLIENT_PROXY');
    expect(message).not.toContain("pa:ss");
  });

  test("407 for NTLM/Negotiate only points at cntlm or px", () => {
    expect(refusal("HTTP/1.1 407 Auth\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\n\r\n")).toBe(
      "the proxy requires authentication (407 Auth; it asks for Negotiate, NTLM) that rp-client does not speak (it speaks Basic); run a local helper such as cntlm or px and set RP_CLIENT_PROXY to it",
    );
  });

  test("502 and tinyproxy's 500: the proxy could not reach the server", () => {
    expect(refusal("HTTP/1.1 502 Bad Gateway\r\n\r\n")).toBe(
      "the proxy could not reach the server (502 Bad Gateway); check RP_CLIENT_TARGET_HOSTNAME/RP_CLIENT_TARGET_PORT and that the proxy may reach them",
    );
    expect(refusal("HTTP/1.0 500 Unable to connect\r\n\r\n")).toStartWith("the proxy could not reach the server (500 Unable to connect)");
  });

  test("other answers: status and reason", () => {
    expect(refusal("HTTP/1.1 405 Method Not Allowed\r\n\r\n")).toBe("the proxy refused the tunnel (405 Method Not Allowed); check RP_CLIENT_PROXY");
    expect(refusal("HTTP/1.1 302 Found\r\nLocation: http://login\r\n\r\n")).toBe("the proxy answered CONNECT with a redirect (302 Found); set RP_CLIENT_PROXY to the proxy itself");
  });
});

describe("offeredSchemes", () => {
  test("schemes, not their parameters", () => {
    expect(offeredSchemes('Basic realm="a, b", NTLM, Negotiate')).toEqual(["Basic", "NTLM", "Negotiate"]);
    expect(offeredSchemes('Digest realm="x", qop="auth", nonce="abc"')).toEqual(["Digest"]);
    expect(offeredSchemes(undefined)).toEqual([]);
  });
});
