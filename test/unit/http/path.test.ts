/**
 * The name rules of the front, on raw request targets (what Deno hands the
 * app; Bun resolves some dot segments first, see test/e2e/hostile-http.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { BadRequestError, MAX_NOUN_LENGTH, NotFoundError, parseEventPath } from "../../../src/http/index.ts";

function refusal(role: "server" | "client", url: string): string {
  try {
    parseEventPath(role, url);
  } catch (error) {
    if (error instanceof BadRequestError) return `400 ${error.message}`;
    if (error instanceof NotFoundError) return `404 ${error.message}`;
    throw error;
  }
  return "accepted";
}

describe("nouns", () => {
  test.each([
    ["/server/a/../b", "a/../b"],
    ["/server/..", ".."],
    ["/server/./x", "./x"],
    ["/server/%2e%2e/x", "%2e%2e/x"],
    ["/server/%2E%2e", "%2E%2e"],
    ["/server/.%2E/x", ".%2E/x"],
    ["/server/x/%2e", "x/%2e"],
    ["/server/cat//..%2F..%2Fetc%2Fpasswd", "cat//..%2F..%2Fetc%2Fpasswd"],
    ["/server/cat//%2e%2e%5Cwin", "cat//%2e%2e%5Cwin"],
    ["/server/cat//x%2F.%2Fy", "cat//x%2F.%2Fy"],
  ])("a dot segment in %s is 400", (url, noun) => {
    expect(refusal("client", url)).toBe(`400 Cannot accept noun "${noun}": dot segments are not allowed`);
  });

  test.each(["/server/...", "/server/.hidden", "/server/cat//a..b", "/server/cat//%2e%2e%2e", "/server/cat//a%2Fb"])(
    "%s has no dot segment and is accepted",
    (url) => expect(refusal("client", url)).toBe("accepted"),
  );

  test.each([
    ["/server/a%00b", "a%00b"],
    ["/server/cat//%0d%0aSet-Cookie:x", "cat//%0d%0aSet-Cookie:x"],
    ["/server/a%7Fb", "a%7Fb"],
    ["/server/a%1Bb", "a%1Bb"],
  ])("NUL or a control character in %s is 400", (url, noun) => {
    expect(refusal("client", url)).toBe(`400 Cannot accept noun ${JSON.stringify(noun)}: NUL and control characters are not allowed`);
  });

  test("the noun length: the limit is accepted, one past it is 400", () => {
    expect(MAX_NOUN_LENGTH).toBe(2048);
    expect(parseEventPath("client", `/server/${"a".repeat(2048)}`).noun).toHaveLength(2048);
    expect(refusal("client", `/server/${"a".repeat(2049)}`)).toBe("400 Cannot accept noun: 2049 bytes exceeds the limit of 2048");
    expect(refusal("server", `/client/c/${"%41".repeat(683)}`)).toBe("400 Cannot accept noun: 2049 bytes exceeds the limit of 2048");
  });

  test("invalid percent-encoding is 400", () => {
    expect(refusal("client", "/server/a%zz")).toBe('400 Cannot accept noun "a%zz": invalid percent-encoding');
  });

  test("names of Object.prototype are ordinary nouns here (the dispatcher never calls them)", () => {
    for (const noun of ["constructor", "__proto__", "toString", "prototype"]) {
      expect(parseEventPath("client", `/server/${noun}`).noun).toBe(noun);
    }
  });
});

describe("client names", () => {
  test("are decoded and kept exactly, case included", () => {
    expect(parseEventPath("server", "/client/File-Server/time").peer).toBe("File-Server");
    expect(parseEventPath("server", "/client/file%2Dserver/time").peer).toBe("file-server");
  });

  test.each([
    ["/client/good%2F..%2Fother/time", "good/../other"],
    ["/client/good%2fother/time", "good/other"],
    ["/client/a%5Cb/time", "a\\b"],
  ])("an encoded slash or backslash in %s is 400", (url, name) => {
    expect(refusal("server", url)).toBe(
      `400 Cannot read client name ${JSON.stringify(name)}: a slash or backslash (even percent-encoded) is not allowed`,
    );
  });

  test.each([
    ["/client/%2e%2e/time", ".."],
    ["/client/%2E/time", "."],
  ])("a dot segment as the name in %s is 400", (url, name) => {
    expect(refusal("server", url)).toBe(`400 Cannot read client name ${JSON.stringify(name)}: dot segments are not allowed`);
  });

  test("NUL in a name is 400; bad encoding is 400", () => {
    expect(refusal("server", "/client/a%00/time")).toBe('400 Cannot read client name "a\\u0000": control characters are not allowed');
    expect(refusal("server", "/client/%E0%A4%A/time")).toBe('400 Cannot read client name "%E0%A4%A": invalid percent-encoding');
  });

  test("a missing name or noun is 404", () => {
    expect(refusal("server", "/client//time")).toStartWith("404 No route for /client//time");
    expect(refusal("server", "/client/x")).toStartWith("404 No route for /client/x");
    expect(refusal("server", "/client/x/")).toBe("404 No noun in the path: nothing names a handler");
  });
});
