import { describe, expect, test } from "bun:test";
import { ShareRefusal } from "../../../src/share/index.ts";
import { parseSharePath, refuseHidden } from "../../../src/share/_path.ts";
import { contentRange, parseRange } from "../../../src/share/_range.ts";
import { etagOf, lastModifiedOf, notModified, rangeStillValid } from "../../../src/share/_conditional.ts";
import { mimetypeFor } from "../../../src/share/_mime.ts";
import { parseShares } from "../../../src/config/index.ts";

function refusal(fn: () => unknown): ShareRefusal {
  try {
    fn();
  } catch (error) {
    if (error instanceof ShareRefusal) return error;
    throw error;
  }
  throw new Error("expected a ShareRefusal");
}

describe("share paths", () => {
  test("share name and segments; a trailing slash asks for the directory", () => {
    expect(parseSharePath(["docs", "reports", "q3.pdf"])).toEqual({ share: "docs", segments: ["reports", "q3.pdf"] });
    expect(parseSharePath(["docs", "reports", ""])).toEqual({ share: "docs", segments: ["reports"] });
    expect(parseSharePath(["docs"])).toEqual({ share: "docs", segments: [] });
  });

  test.each([
    [["docs", ".."], 400, 'dot segment ".."'],
    [["docs", "a", "."], 400, 'dot segment "."'],
    [["..", "etc"], 400, 'dot segment ".."'],
    [["docs", "a/../../etc"], 400, "encoded slash"],
    [["docs", "a\\b"], 400, "backslash"],
    [["docs", "a\u0000b"], 400, "NUL"],
    [["docs", "a\nb"], 400, "control character"],
    [["docs", "", "x"], 400, "empty segment"],
    [[], 400, "no share named"],
  ] as const)("%j is refused with %d (%s)", (args, status, words) => {
    const error = refusal(() => parseSharePath(args));
    expect(error.status).toBe(status);
    expect(error.message).toContain(words);
  });

  test("hidden segments are refused with the flag that allows them", () => {
    const error = refusal(() => refuseHidden(parseSharePath(["docs", "a", ".git", "config"])));
    expect(error.status).toBe(403);
    expect(error.message).toBe('Cannot serve ".git": hidden files are not shared; start the node with --share-hidden');
    expect(() => refuseHidden(parseSharePath(["docs", "a.b"]))).not.toThrow();
  });

  test("an over-long path is refused", () => {
    const error = refusal(() => parseSharePath(["docs", ...Array.from({ length: 50 }, () => "x".repeat(100))]));
    expect(error.message).toContain("over the limit of 4096");
  });
});

describe("Range", () => {
  test("one range, open-ended, suffix; clamped to the size", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=500-", 1000)).toEqual({ start: 500, end: 999 });
    expect(parseRange("bytes=-100", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-5000", 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange("bytes=990-5000", 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange(" Bytes = 1 - 2 ", 10)).toEqual({ start: 1, end: 2 });
  });

  test("what is not one plain range is ignored: the whole file", () => {
    for (const header of [undefined, "", "bytes=0-1,5-6", "items=0-1", "bytes=5-2", "bytes=-", "garbage", `bytes=${"9".repeat(400)}-`]) {
      expect(parseRange(header, 1000)).toBeUndefined();
    }
  });

  test("a range wholly past the end is unsatisfiable (416)", () => {
    for (const header of ["bytes=1000-", "bytes=2000-3000", "bytes=-0"]) {
      const error = refusal(() => parseRange(header, 1000));
      expect(error.status).toBe(416);
      expect(error.message).toBe("Cannot serve the range asked for: the file has 1000 bytes");
    }
    expect(refusal(() => parseRange("bytes=-10", 0)).status).toBe(416);
  });

  test("Content-Range", () => {
    expect(contentRange({ start: 0, end: 99 }, 1000)).toBe("bytes 0-99/1000");
  });
});

describe("validators and conditional requests", () => {
  const stamp = { size: 1234, mtimeMs: 1_700_000_000_123.4, ino: 42 };

  test("the ETag changes with size, mtime and inode", () => {
    const tag = etagOf(stamp);
    expect(tag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(etagOf({ ...stamp, size: 1235 })).not.toBe(tag);
    expect(etagOf({ ...stamp, mtimeMs: stamp.mtimeMs + 1 })).not.toBe(tag);
    expect(etagOf({ ...stamp, ino: 43 })).not.toBe(tag);
    expect(lastModifiedOf(stamp)).toBe("Tue, 14 Nov 2023 22:13:20 GMT");
  });

  test("If-None-Match: a list, weak tags, *; it wins over If-Modified-Since", () => {
    const tag = etagOf(stamp);
    expect(notModified({ ifNoneMatch: tag }, stamp)).toBe(true);
    expect(notModified({ ifNoneMatch: `"other", W/${tag}` }, stamp)).toBe(true);
    expect(notModified({ ifNoneMatch: "*" }, stamp)).toBe(true);
    expect(notModified({ ifNoneMatch: '"other"', ifModifiedSince: lastModifiedOf(stamp) }, stamp)).toBe(false);
  });

  test("If-Modified-Since compares whole seconds; garbage is ignored", () => {
    expect(notModified({ ifModifiedSince: lastModifiedOf(stamp) }, stamp)).toBe(true);
    expect(notModified({ ifModifiedSince: new Date(stamp.mtimeMs - 2000).toUTCString() }, stamp)).toBe(false);
    expect(notModified({ ifModifiedSince: "yesterday" }, stamp)).toBe(false);
    expect(notModified({}, stamp)).toBe(false);
  });

  test("If-Range keeps a range only while the file is unchanged", () => {
    expect(rangeStillValid(undefined, stamp)).toBe(true);
    expect(rangeStillValid(etagOf(stamp), stamp)).toBe(true);
    expect(rangeStillValid('"stale"', stamp)).toBe(false);
    expect(rangeStillValid(lastModifiedOf(stamp), stamp)).toBe(true);
    expect(rangeStillValid(new Date(0).toUTCString(), stamp)).toBe(false);
  });
});

describe("mimetypes and share definitions", () => {
  test("by extension, case-insensitive; unknown is octet-stream", () => {
    expect(mimetypeFor("q3.PDF")).toBe("application/pdf");
    expect(mimetypeFor("notes.txt")).toBe("text/plain; charset=utf-8");
    expect(mimetypeFor("archive.tar.gz")).toBe("application/gzip");
    expect(mimetypeFor("Makefile")).toBe("application/octet-stream");
    expect(mimetypeFor(".bashrc")).toBe("application/octet-stream");
  });

  test("NAME=DIR pairs, writable names must exist, names are unique and plain", () => {
    expect(parseShares(["docs=/srv/docs", "logs=/var/log/app"], { writable: ["docs"] })).toEqual([
      { name: "docs", root: "/srv/docs", writable: true, hidden: false },
      { name: "logs", root: "/var/log/app", writable: false, hidden: false },
    ]);
    expect(() => parseShares(["docs"])).toThrow('Cannot share "docs": expected NAME=DIR');
    expect(() => parseShares(["../x=/tmp"])).toThrow("expected NAME=DIR");
    expect(() => parseShares(["a=/x", "a=/y"])).toThrow("the name a is given twice");
    expect(() => parseShares(["a=/x"], { writable: ["b"] })).toThrow("Cannot make share b writable: no share of that name; add --share b=DIR");
  });
});
