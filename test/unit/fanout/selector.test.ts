/** Fan-out selectors: each form, each refusal, and properties of globs and lists (fast-check, fixed seed). */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { exactNames, FanoutRequestError, globMatches, parseSelector, selects, type Selector } from "../../../src/fanout/index.ts";
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally } from "../../support/index.ts";

// Reported by the last property (the Deno shim has no afterAll).
const tally = new FuzzTally("fan-out selectors");

const client = (name: string, labels: Record<string, string> = {}) => ({ name, labels });
const picked = (selector: Selector, names: readonly string[]) => names.filter((name) => selects(selector, client(name)));

describe("parseSelector", () => {
  test("* selects everyone", () => {
    expect(parseSelector("*")).toEqual({ kind: "all" });
    expect(parseSelector("%2A")).toEqual({ kind: "all" });
  });

  test("a CN glob: * is any run, ? one character; other regex characters are literal", () => {
    const names = ["edge-1", "edge-12", "edge-", "core-1", "EDGE-1", "edge.1", "edgex1"];
    expect(picked(parseSelector("edge-*"), names)).toEqual(["edge-1", "edge-12", "edge-"]);
    expect(picked(parseSelector("edge-?"), names)).toEqual(["edge-1"]);
    expect(picked(parseSelector("edge.?"), names)).toEqual(["edge.1"]);
    expect(picked(parseSelector("*-1"), names)).toEqual(["edge-1", "core-1", "EDGE-1"]);
  });

  test("one CN, or a comma list of CNs (exact, no case folding), deduplicated", () => {
    expect(parseSelector("edge-1")).toEqual({ kind: "names", names: new Set(["edge-1"]), globs: [] });
    const list = parseSelector("edge-1,core-1,edge-1");
    expect(exactNames(list)).toEqual(["edge-1", "core-1"]);
    expect(picked(list, ["edge-1", "core-1", "Edge-1", "edge-10"])).toEqual(["edge-1", "core-1"]);
    expect(exactNames(parseSelector("edge-*,core-1"))).toBeUndefined();
    expect(picked(parseSelector("edge-*,core-1"), ["edge-9", "core-1", "core-2"])).toEqual(["edge-9", "core-1"]);
    expect(exactNames(parseSelector("*"))).toBeUndefined();
  });

  test("a label set (URL-encoded or not): every label must match", () => {
    const selector = parseSelector("role%3Ddb%2Csite%3Dfra");
    expect(selector).toEqual({ kind: "labels", labels: { role: "db", site: "fra" } });
    expect(selects(selector, client("a", { role: "db", site: "fra", rack: "7" }))).toBe(true);
    expect(selects(selector, client("b", { role: "db", site: "ams" }))).toBe(false);
    expect(selects(selector, client("c", { role: "db" }))).toBe(false);
    expect(selects(parseSelector("role=db"), client("d", { role: "db" }))).toBe(true);
  });

  test.each([
    ["", "it is empty"],
    ["%zz", "invalid percent-encoding"],
    ["a%2Fb", "control characters, slashes and backslashes are not allowed"],
    ["a%5Cb", "control characters, slashes and backslashes are not allowed"],
    ["a%00", "control characters, slashes and backslashes are not allowed"],
    ["a,,b", "an item of the list is empty"],
    ["role=db,edge-1", 'Cannot use label "edge-1"'],
    ["role=DB%20x", 'Cannot use label "role=DB x"'],
    ["role=db,role=web", 'the key "role" is given twice'],
  ])("refuses %p: %s", (raw, why) => {
    let error: unknown;
    try {
      parseSelector(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FanoutRequestError);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).toMatch(/^Cannot read selector .*; use \*, a CN glob \(edge-\*\), a comma list of CNs \(edge-1,edge-2\) or labels \(role=db,site=fra\)$/);
  });

  test("more than 1000 items, more than 16 globs, or an item over 256 characters is refused", () => {
    const raw = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(",");
    expect(() => parseSelector(raw)).toThrow("1001 items is more than the limit of 1000");
    expect(exactNames(parseSelector(raw.slice(0, raw.lastIndexOf(","))))).toHaveLength(1000);
    const globs = Array.from({ length: 17 }, (_, i) => `c${i}-*`).join(",");
    expect(() => parseSelector(globs)).toThrow("17 globs is more than the limit of 16");
    expect(() => parseSelector("x".repeat(257))).toThrow("an item is longer than 256 characters");
  });

  test("a hostile glob does not backtrack exponentially", () => {
    const glob = `${"*a".repeat(100)}*b`;
    expect(globMatches(glob, "a".repeat(200))).toBe(false);
    expect(globMatches(glob, `${"a".repeat(200)}b`)).toBe(true);
  });
});

const NAME = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,20}$/);

describe("properties", () => {
  test(
    "a comma list selects exactly its names, whatever else is connected",
    () => {
      tally.check(
        fc.property(fc.uniqueArray(NAME, { minLength: 1, maxLength: 8 }), fc.array(NAME, { maxLength: 8 }), (listed, others) => {
          const selector = parseSelector(listed.map(encodeURIComponent).join(","));
          const all = [...new Set([...listed, ...others])];
          expect(picked(selector, all).sort()).toEqual([...listed].sort());
        }),
        300,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "a glob made by starring part of a name selects that name, and * selects every name",
    () => {
      tally.check(
        fc.property(NAME, fc.nat(), fc.nat(), (name, a, b) => {
          const start = a % (name.length + 1);
          const end = start + (b % (name.length - start + 1));
          const glob = `${name.slice(0, start)}*${name.slice(end)}`;
          expect(selects(parseSelector(encodeURIComponent(glob)), client(name))).toBe(true);
          expect(selects(parseSelector("*"), client(name))).toBe(true);
        }),
        300,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "globMatches agrees with a regular-expression reference on small globs",
    () => {
      const alphabet = fc.constantFrom("a", "b", "*", "?");
      tally.check(
        fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(fc.constantFrom("a", "b"), { maxLength: 8 }), (globChars, textChars) => {
          const glob = globChars.join("");
          const text = textChars.join("");
          const reference = new RegExp(`^${glob.replaceAll("*", ".*").replaceAll("?", ".")}$`, "s");
          expect(globMatches(glob, text)).toBe(reference.test(text));
        }),
        1000,
      );
    },
    FUZZ_TEST_TIMEOUT_MS,
  );

  test(
    "any segment either parses or is refused with FanoutRequestError (never another error)",
    () => {
      tally.check(
        fc.property(fc.string({ maxLength: 40 }), (text) => {
          try {
            parseSelector(text);
          } catch (error) {
            expect(error).toBeInstanceOf(FanoutRequestError);
          }
        }),
        500,
      );
      tally.report();
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
