/** The fan-out answer document: data as JSON, text or base64; entries for errors; CN keys kept plain. */
import { describe, expect, test } from "bun:test";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { base64, droppedEntry, entryJson, errorEntry, fanoutDocument, ndjsonEntry, ndjsonSummary, replyEntry, type FanoutEntry } from "../../../src/fanout/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("replyEntry", () => {
  test("JSON mimetypes that parse are embedded as JSON", () => {
    expect(replyEntry({ mimetype: "application/json", code: 0, data: bytes('{"time":1}') }, 200)).toEqual({ status: 200, code: 0, mimetype: "application/json", data: { time: 1 } });
    expect(replyEntry({ mimetype: "application/problem+json; charset=utf-8", code: 7, data: bytes("[1,2]") }, 200).data).toEqual([1, 2]);
  });

  test("text, and JSON that does not parse, are text", () => {
    expect(replyEntry({ mimetype: "text/plain", code: 0, data: bytes("héllo") }, 200)).toEqual({ status: 200, code: 0, mimetype: "text/plain", data: "héllo" });
    expect(replyEntry({ mimetype: "application/json", code: 0, data: bytes("{not json") }, 200).data).toBe("{not json");
    expect(replyEntry({ mimetype: "application/xml", code: 0, data: bytes("<a/>") }, 200).data).toBe("<a/>");
  });

  test("binary, or text that is not UTF-8, is base64", () => {
    const data = new Uint8Array([0, 255, 128, 10]);
    expect(replyEntry({ mimetype: "application/octet-stream", code: 0, data }, 200)).toEqual({ status: 200, code: 0, mimetype: "application/octet-stream", data: "AP+ACg==", encoding: "base64" });
    expect(replyEntry({ mimetype: "text/plain", code: 0, data: new Uint8Array([0xff, 0xfe]) }, 200)).toMatchObject({ data: "//4=", encoding: "base64" });
    expect(replyEntry({ mimetype: "", code: 0, data: bytes("plain?") }, 200)).toMatchObject({ encoding: "base64" });
  });

  test("no data is null; handler errors keep their status and code", () => {
    expect(replyEntry({ mimetype: "", code: 0 }, 200)).toEqual({ status: 200, code: 0, mimetype: "", data: null });
    const failed = replyEntry({ mimetype: "application/json", code: 251, data: bytes('{"exception":{"message":"boom","class":"Error"}}') }, 500);
    expect(failed).toEqual({ status: 500, code: 251, mimetype: "application/json", data: { exception: { message: "boom", class: "Error" } } });
  });

  test("base64 of large data matches the standard encoding", () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) % 256);
    expect(base64(data)).toBe(Buffer.from(data).toString("base64"));
  });
});

describe("the document", () => {
  test("one JSON object, results sorted by CN, a __proto__ CN kept as a plain key", () => {
    const results = new Map<string, FanoutEntry>([
      ["b", errorEntry({ status: 504, code: 253, message: "Cannot complete request: no reply from b within 1000 ms" })],
      ["__proto__", replyEntry({ mimetype: "text/plain", code: 0, data: bytes("x") }, 200)],
      ["a", droppedEntry({ mimetype: "text/plain", code: 0, data: bytes("x") }, 200, "too big")],
    ]);
    const text = fanoutDocument({ matched: 3, answered: 2 }, results);
    const parsed = JSON.parse(text) as { matched: number; answered: number; results: Record<string, FanoutEntry> };
    expect(parsed.matched).toBe(3);
    expect(parsed.answered).toBe(2);
    expect(Object.keys(parsed.results)).toEqual(["__proto__", "a", "b"]);
    expect(Object.getOwnPropertyDescriptor(parsed.results, "__proto__")?.value).toEqual({ status: 200, code: 0, mimetype: "text/plain", data: "x" });
    expect(parsed.results["a"]).toEqual({ status: 200, code: 0, mimetype: "text/plain", error: "too big" });
    expect(parsed.results["b"]).toEqual({ status: 504, code: 253, error: "Cannot complete request: no reply from b within 1000 ms" });
    expect(fanoutDocument({ matched: 0, answered: 0 }, new Map())).toBe('{"matched":0,"answered":0,"results":{}}');
  });

  test("NDJSON lines: one per client with its CN, then the summary", () => {
    expect(ndjsonEntry("edge-1", { status: 200, code: 0, mimetype: "application/json", data: 1 })).toBe('{"client":"edge-1","status":200,"code":0,"mimetype":"application/json","data":1}\n');
    expect(ndjsonSummary({ matched: 2, answered: 1 })).toBe('{"matched":2,"answered":1}\n');
  });
});

describe("entries as JSON text", () => {
  test("a JSON reply is embedded as it came (no precision lost); one with line breaks is written again on one line", () => {
    const exact = replyEntry({ mimetype: "application/json", code: 0, data: bytes('{"n": 12345678901234567890, "x":1.50}') }, 200);
    expect(entryJson(exact)).toBe('{"status":200,"code":0,"mimetype":"application/json","data":{"n": 12345678901234567890, "x":1.50}}');
    const multiline = replyEntry({ mimetype: "application/json", code: 0, data: bytes('{\n  "a": [1,\r\n 2]\n}') }, 200);
    expect(ndjsonEntry("c", multiline)).toBe('{"client":"c","status":200,"code":0,"mimetype":"application/json","data":{"a":[1,2]}}\n');
    expect(fanoutDocument({ matched: 1, answered: 1 }, new Map([["c", exact]]))).toContain('"data":{"n": 12345678901234567890, "x":1.50}');
  });

  test("every kind of entry reads back as JSON.stringify would have written it", () => {
    const reply = fc.record({
      mimetype: fc.constantFrom("application/json", "text/plain", "application/octet-stream", "", "application/x+json"),
      code: fc.nat(),
      data: fc.oneof(fc.json().map((text) => bytes(text)), fc.uint8Array({ maxLength: 40 }), fc.string().map((text) => bytes(text))),
    });
    fc.assert(
      fc.property(reply, fc.integer({ min: 100, max: 599 }), fc.string(), (r, status, message) => {
        for (const entry of [replyEntry(r, status), droppedEntry(r, status, message), errorEntry({ status, code: r.code, message })]) {
          expect(JSON.parse(entryJson(entry))).toEqual(JSON.parse(JSON.stringify(entry)));
          expect(ndjsonEntry("n", entry).indexOf("\n")).toBe(ndjsonEntry("n", entry).length - 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
