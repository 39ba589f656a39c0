import { describe, expect, test } from "bun:test";
import { ConnectReplyReader, MAX_CONNECT_REPLY_BYTES, ProxyError } from "../../../src/proxy/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const OK = "HTTP/1.1 200 Connection established\r\nProxy-Agent: tinyproxy/1.11.1\r\n\r\n";

/** Feeds `text` in pieces of `size` bytes; the result of the last push that returned one. */
function feed(text: string, size: number) {
  const reader = new ConnectReplyReader();
  const all = bytes(text);
  let done: ReturnType<ConnectReplyReader["push"]>;
  for (let at = 0; at < all.length; at += size) {
    done ??= reader.push(all.subarray(at, at + size));
  }
  return done;
}

function thrown(run: () => unknown): ProxyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyError);
    return error as ProxyError;
  }
  throw new Error("expected a ProxyError");
}

describe("ConnectReplyReader", () => {
  test("the same answer whole, byte by byte and in every split", () => {
    const whole = feed(OK, OK.length);
    expect(whole?.reply.status).toBe(200);
    expect(whole?.reply.reason).toBe("Connection established");
    expect(whole?.reply.headers.get("proxy-agent")).toBe("tinyproxy/1.11.1");
    expect(whole?.rest.length).toBe(0);
    for (let size = 1; size < OK.length; size++) expect(feed(OK, size)).toEqual(whole);
  });

  test("nothing until the blank line", () => {
    const reader = new ConnectReplyReader();
    expect(reader.push(bytes("HTTP/1.1 200 OK\r\n"))).toBeUndefined();
    expect(reader.push(bytes("\r"))).toBeUndefined();
    expect(reader.push(bytes("\n"))?.reply.status).toBe(200);
  });

  test("bytes after the blank line are handed back", () => {
    const done = feed("HTTP/1.0 200 OK\r\n\r\n\x16\x03\x01", 64);
    expect([...done!.rest]).toEqual([0x16, 3, 1]);
  });

  test("repeated headers are joined; names lower-cased; no reason phrase is fine", () => {
    const done = feed("HTTP/1.1 407\r\nProxy-Authenticate: NTLM\r\nproxy-authenticate: Basic realm=\"x\"\r\n\r\n", 7);
    expect(done?.reply.status).toBe(407);
    expect(done?.reply.reason).toBe("");
    expect(done?.reply.headers.get("proxy-authenticate")).toBe('NTLM, Basic realm="x"');
  });

  test("an answer that never ends is refused at the bound, not buffered", () => {
    const reader = new ConnectReplyReader();
    reader.push(bytes("HTTP/1.1 200 OK\r\n"));
    const line = bytes(`X-Pad: ${"a".repeat(1000)}\r\n`);
    const error = thrown(() => {
      for (let i = 0; i < 100; i++) reader.push(line);
    });
    expect(error.message).toBe(`the proxy's answer to CONNECT exceeds ${MAX_CONNECT_REPLY_BYTES} bytes without ending: not an HTTP proxy?`);
  });

  test("an oversized answer arriving in one chunk with its end is refused too", () => {
    const error = thrown(() => new ConnectReplyReader().push(bytes(`HTTP/1.1 200 OK\r\nX: ${"a".repeat(MAX_CONNECT_REPLY_BYTES)}\r\n\r\n`)));
    expect(error.message).toBe(`the proxy's answer to CONNECT exceeds ${MAX_CONNECT_REPLY_BYTES} bytes: not an HTTP proxy?`);
  });

  test("something that is not HTTP is refused from its first bytes (control characters not echoed)", () => {
    const error = thrown(() => new ConnectReplyReader().push(bytes("SSH-2.0-OpenSSH_9.2\r\n")));
    expect(error.message).toBe('the proxy answered CONNECT with something that is not HTTP ("SSH-2.0-OpenSSH_9.2??"): not an HTTP proxy?');
  });

  test("a malformed status line or header line is refused by name", () => {
    expect(thrown(() => feed("HTTP/1.1 20x OK\r\n\r\n", 100)).message).toBe('the proxy answered CONNECT with a malformed status line "HTTP/1.1 20x OK": not an HTTP proxy?');
    expect(thrown(() => feed("HTTP/2 200\r\n\r\n", 100)).message).toStartWith("the proxy answered CONNECT with a malformed status line");
    expect(thrown(() => feed("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 100)).message).toBe('the proxy answered CONNECT with a malformed header line "no colon here"');
  });

  test("a hostile reason phrase is cut and stripped of control characters", () => {
    const done = feed(`HTTP/1.1 403 ${"\x1b[31m".repeat(3)}${"x".repeat(500)}\r\n\r\n`, 1000);
    expect(done?.reply.reason).toStartWith("?[31m?[31m?[31mxxx");
    expect(done?.reply.reason.length).toBe(203);
  });
});
