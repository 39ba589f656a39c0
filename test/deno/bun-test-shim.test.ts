/**
 * The bun:test subset the runtime-neutral tests rely on, pinned down. This
 * file runs under Bun (the real bun:test) and under Deno (test/deno/bun-test.ts
 * through deno.json's import map): both must agree, so the shim can neither
 * pass what Bun fails nor fail what Bun passes.
 */
import { afterEach, describe, expect, test } from "bun:test";

const fails = (assertion: () => unknown) => expect(assertion).toThrow();
/** Values typed loosely, so that mismatches are checked at run time rather than refused by the compiler. */
const loose = (value: unknown): unknown => value;
const passes = (assertion: () => unknown) => expect(assertion).not.toThrow();
/** An async assertion fails (Bun may throw before returning the promise, so both are caught). */
async function failsAsync(assertion: () => unknown): Promise<void> {
  let failed = false;
  try {
    await assertion();
  } catch {
    failed = true;
  }
  expect(failed).toBe(true);
}

class Custom extends Error {
  override name = "Custom";
}

describe("bun:test semantics shared by the Deno shim", () => {
  test("toBe is Object.is", () => {
    passes(() => expect(Number.NaN).toBe(Number.NaN));
    fails(() => expect({}).toBe({}));
    fails(() => expect(0).toBe(-0));
  });

  test("toEqual is deep, ignores undefined properties, compares bytes and array lengths", () => {
    passes(() => expect(loose({ a: 1, b: undefined, c: [1, { d: "x" }] })).toEqual({ a: 1, c: [1, { d: "x" }] }));
    passes(() => expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 2])));
    fails(() => expect(new Uint8Array([1, 2])).toEqual(new Uint8Array([1, 3])));
    fails(() => expect([1, 2]).toEqual([1, 2, 3]));
    fails(() => expect(loose({ a: 1 })).toEqual({ a: 1, b: 2 }));
    fails(() => expect(loose({ a: { b: 1 } })).toEqual({ a: { b: "1" } }));
    passes(() => expect(new Map([["k", [1]]])).toEqual(new Map([["k", [1]]])));
    fails(() => expect(new Date(1)).toEqual(new Date(2)));
  });

  test("toMatchObject is a recursive subset; arrays must match in length", () => {
    passes(() => expect({ a: 1, b: { c: 2, d: 3 } }).toMatchObject({ b: { c: 2 } }));
    fails(() => expect({ a: 1, b: { c: 2 } }).toMatchObject({ b: { c: 3 } }));
    fails(() => expect({ list: [1, 2] }).toMatchObject({ list: [1] }));
  });

  test("toThrow: nothing, a substring, a RegExp, an Error's exact message, a class", () => {
    const thrower = () => {
      throw new Custom("Cannot go: state is closed");
    };
    passes(() => expect(thrower).toThrow());
    passes(() => expect(thrower).toThrow("state is"));
    passes(() => expect(thrower).toThrow(/^Cannot go/));
    passes(() => expect(thrower).toThrow(new Error("Cannot go: state is closed")));
    passes(() => expect(thrower).toThrow(Custom));
    fails(() => expect(thrower).toThrow(new Error("Cannot go")));
    fails(() => expect(thrower).toThrow(TypeError));
    fails(() => expect(() => 1).toThrow());
    fails(() => expect(thrower).not.toThrow());
  });

  test("strings and lists: toContain, toContainEqual with expect.stringMatching, toHaveLength, toMatch, toStartWith", () => {
    passes(() => expect(["ab", "cd"]).toContainEqual(expect.stringMatching(/^c/)));
    fails(() => expect(["ab", "cd"]).toContainEqual(expect.stringMatching(/^x/)));
    passes(() => expect([{ a: 1 }]).toContainEqual({ a: 1 }));
    fails(() => expect([{ a: 1 }]).toContain({ a: 1 }));
    passes(() => expect("hello").toContain("ell"));
    fails(() => expect([1, 2]).toHaveLength(3));
    fails(() => expect("abc").toMatch(/^b/));
    fails(() => expect("abc").toStartWith("b"));
    fails(() => expect("abc").not.toContain("a"));
  });

  test("kinds and comparisons", () => {
    passes(() => expect(new Custom("x")).toBeInstanceOf(Error));
    fails(() => expect(new Error("x")).toBeInstanceOf(Custom));
    fails(() => expect(null).toBeUndefined());
    fails(() => expect({}).toBeFunction());
    fails(() => expect(1).toBeGreaterThanOrEqual(2));
    fails(() => expect(2).toBeLessThanOrEqual(1));
    fails(() => expect(1).not.toBe(1));
  });

  test("rejects: the rejection is matched; a promise that resolves fails", async () => {
    await expect(Promise.reject(new Custom("gone"))).rejects.toBeInstanceOf(Custom);
    await expect(Promise.reject(new Custom("gone"))).rejects.toThrow(new Error("gone"));
    await failsAsync(() => expect(Promise.resolve(1)).rejects.toThrow());
    await failsAsync(() => expect(Promise.reject(new Custom("gone"))).rejects.toBeInstanceOf(TypeError));
  });
});

describe("hooks and tables", () => {
  const seen: string[] = [];
  afterEach(() => {
    seen.push("after");
  });

  test.each([
    [1, "one"],
    [2, "two"],
  ])("test.each spreads the row %d → %s", (number, word) => {
    seen.push(`${number}:${word}`);
  });

  test("afterEach ran after each earlier test of this describe", () => {
    expect(seen).toEqual(["1:one", "after", "2:two", "after"]);
  });
});
