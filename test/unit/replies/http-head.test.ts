/** The HTTP head across the pipe: which request headers are forwarded, which reply headers and statuses pass, and their bounds. */
import { describe, expect, test } from "bun:test";
import { MAX_HEAD_CHARS, replyHeadOf, replyHeadProblem, replyStatusProblem, requestHead, requestHeaders } from "../../../src/replies/index.ts";

describe("request headers", () => {
  test("only the allow-listed ones are forwarded, in a fixed order; none gives no head", () => {
    const headers = new Headers({ Range: "bytes=0-9", Cookie: "secret", "If-None-Match": '"a"', Authorization: "Bearer x" });
    expect(requestHead(headers)).toEqual({ headers: [{ name: "range", value: "bytes=0-9" }, { name: "if-none-match", value: '"a"' }] });
    expect(requestHead(new Headers({ host: "x" }))).toBeUndefined();
  });

  test("a value over 1 KiB is refused with the fix", () => {
    expect(() => requestHead(new Headers({ range: "x".repeat(1025) }))).toThrow("Cannot forward the request: the range header has 1025 characters, over the limit of 1024; send a shorter one");
  });

  test("from a peer: names off the list, bad values and entries past 16 are dropped", () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ name: "range", value: `bytes=${i}-` }));
    expect(requestHeaders({ headers: [{ name: "cookie", value: "x" }, { name: "if-range", value: "a\nb" }, { value: "no name" }, { name: "range", value: "bytes=1-" }] })).toEqual({ range: "bytes=1-" });
    expect(requestHeaders({ headers: many })).toEqual({ range: "bytes=15-" });
    expect(requestHeaders(undefined)).toEqual({});
  });
});

describe("reply heads", () => {
  test("names are lower-cased and checked against the allow-list", () => {
    expect(replyHeadOf({ ETag: '"v"', "Cache-Control": "no-cache" })).toEqual({ headers: [{ name: "etag", value: '"v"' }, { name: "cache-control", value: "no-cache" }] });
    expect(() => replyHeadOf({ "Set-Cookie": "a=b" })).toThrow('the reply header "set-cookie" is not one a reply may set');
    expect(() => replyHeadOf({ etag: 5 as unknown as string })).toThrow("the etag header's value is not a string");
  });

  test("bounds: 16 headers, 1 KiB a value, 4 KiB in all", () => {
    const wide = Array.from({ length: 5 }, () => ({ name: "vary", value: "x".repeat(1000) }));
    expect(replyHeadProblem({ headers: wide })).toBe(`the reply headers hold ${5 * 1004} characters, over the limit of ${MAX_HEAD_CHARS}`);
    expect(replyHeadProblem({ headers: [{ name: "etag", value: "x".repeat(1025) }] })).toBe("the etag header has 1025 characters, over the limit of 1024");
    expect(replyHeadProblem({ headers: [{ name: "etag", value: '"ok"' }] })).toBeUndefined();
  });

  test("a status is a whole number from 200 to 599", () => {
    expect([200, 206, 304, 404, 599].map(replyStatusProblem)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(replyStatusProblem(199)).toBe("HTTP status 199 is not a whole number from 200 to 599");
    expect(replyStatusProblem(2.5)).toBe("HTTP status 2.5 is not a whole number from 200 to 599");
    expect(replyStatusProblem("404")).toBe('HTTP status "404" is not a whole number from 200 to 599');
  });
});
