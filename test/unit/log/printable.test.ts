/** printable / printableJson: what a terminal would obey is escaped, nothing else changes. */
import { describe, expect, test } from "bun:test";
import { createConsoleLogger, printable, printableJson, printableLines } from "../../../src/log/index.ts";

describe("printable", () => {
  test("escapes C0 (tab excepted), DEL, C1 and bidi overrides", () => {
    expect(printable("a\u001b[2Jb\u0007\r\n\u007f\u009b\u202e\u2066\tc")).toBe("a\\x1b[2Jb\\x07\\r\\n\\x7f\\x9b\\u202e\\u2066\tc");
  });
  test("leaves ordinary text alone, Unicode included", () => {
    for (const text of ["file-server", "CN=ü.example, O=Ünïcödé", "a\\b", "日本"]) expect(printable(text)).toBe(text);
  });
  test("printableLines keeps the line breaks", () => expect(printableLines("a\u001b\nb")).toBe("a\\x1b\nb"));
  test("printableJson stays the same JSON", () => {
    const value = { cn: "x\u009b31m\u202e\u2028" };
    const json = printableJson(JSON.stringify(value));
    expect(json).not.toMatch(/[\u0080-\u009f\u2028\u202e]/);
    expect(JSON.parse(json)).toEqual(value);
  });
  test("the text logger writes one line whatever a field holds", () => {
    const lines: string[] = [];
    createConsoleLogger({ level: "info", format: "text", write: (l) => lines.push(l), now: () => 0 }).info("client connected", { client: "a\nINFO  forged" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(lines[0]).toContain('client="a\\nINFO  forged"');
  });
});
