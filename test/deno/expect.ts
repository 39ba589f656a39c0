/**
 * The part of bun:test's `expect` that the runtime-neutral tests use, for
 * running them under Deno (no jsr here, so no @std/expect). A failed
 * expectation throws an Error saying what was received and expected.
 */
import { inspect } from "node:util";
import { deepEqual, type AsymmetricMatcher } from "./equality.ts";

/** A matcher's verdict and what to say when it fails (or, under `.not`, when it passes). */
type Check = { pass: boolean; message: string; notMessage: string };
type Matcher = (actual: unknown, ...expected: unknown[]) => Check;

const show = (value: unknown) =>
  value instanceof Error ? `${value.name}(${JSON.stringify(value.message)})` : inspect(value, { depth: 6, breakLength: Infinity });

/** An asymmetric matcher that prints as its description, also inside other values. */
const asymmetric = (description: string, asymmetricMatch: (actual: unknown) => boolean): AsymmetricMatcher =>
  Object.assign({ asymmetricMatch, toString: () => description }, { [inspect.custom]: () => description });
const check = (pass: boolean, actual: unknown, what: string, ...expected: unknown[]): Check => {
  const tail = `${what}${expected.length === 0 ? "" : ` ${show(expected[0])}`}`;
  return { pass, message: `expected ${show(actual)} ${tail}`, notMessage: `expected ${show(actual)} not ${tail}` };
};

/** What was thrown by calling `actual` (or `{ threw: false }`). */
function thrownBy(actual: unknown): { threw: boolean; error?: unknown } {
  if (typeof actual !== "function") throw new TypeError(`Cannot check toThrow: expected a function, got ${show(actual)}`);
  try {
    actual();
    return { threw: false };
  } catch (error) {
    return { threw: true, error };
  }
}

/** toThrow's rules: no argument = anything; string = message contains; RegExp = message matches; Error = same message; class = instanceof. */
function throwMatches(error: unknown, expected: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  if (expected === undefined) return true;
  if (typeof expected === "string") return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (expected instanceof Error) return message === expected.message;
  if (typeof expected === "function") return error instanceof expected;
  throw new TypeError(`Cannot check toThrow against ${show(expected)}`);
}

const MATCHERS: Record<string, Matcher> = {
  toBe: (a, e) => check(Object.is(a, e), a, "to be", e),
  toEqual: (a, e) => check(deepEqual(a, e), a, "to equal", e),
  toMatchObject: (a, e) => check(deepEqual(a, e, true), a, "to match object", e),
  toContain: (a, e) => check(typeof a === "string" ? a.includes(String(e)) : Array.isArray(a) && a.includes(e), a, "to contain", e),
  toContainEqual: (a, e) => check(Array.isArray(a) && a.some((item) => deepEqual(item, e)), a, "to contain an item equal to", e),
  toHaveLength: (a, e) => check((a as { length?: unknown })?.length === e, a, "to have length", e),
  toMatch: (a, e) => check(typeof a === "string" && (e instanceof RegExp ? e.test(a) : a.includes(String(e))), a, "to match", e),
  toStartWith: (a, e) => check(typeof a === "string" && a.startsWith(String(e)), a, "to start with", e),
  toBeInstanceOf: (a, e) => check(a instanceof (e as new () => unknown), a, "to be an instance of", (e as { name?: string }).name),
  toBeUndefined: (a) => check(a === undefined, a, "to be undefined"),
  toBeDefined: (a) => check(a !== undefined, a, "to be defined"),
  toBeNull: (a) => check(a === null, a, "to be null"),
  toBeTruthy: (a) => check(Boolean(a), a, "to be truthy"),
  toBeFalsy: (a) => check(!a, a, "to be falsy"),
  toBeFunction: (a) => check(typeof a === "function", a, "to be a function"),
  toBeGreaterThan: (a, e) => check((a as number) > (e as number), a, "to be greater than", e),
  toBeGreaterThanOrEqual: (a, e) => check((a as number) >= (e as number), a, "to be greater than or equal to", e),
  toBeLessThan: (a, e) => check((a as number) < (e as number), a, "to be less than", e),
  toBeLessThanOrEqual: (a, e) => check((a as number) <= (e as number), a, "to be less than or equal to", e),
  toThrow: (a, e) => {
    const { threw, error } = thrownBy(a);
    const wanted = e === undefined ? "to throw" : `to throw ${show(e)}`;
    return {
      pass: threw && throwMatches(error, e),
      message: `expected the function ${wanted}, but it ${threw ? `threw ${show(error)}` : "returned"}`,
      notMessage: `expected the function not ${wanted}, but it threw ${show(error)}`,
    };
  },
};

/** Matchers over a value, with `.not`, `.rejects` and `.resolves` like bun:test. */
export type Expectation = Record<string, (...expected: unknown[]) => void> & {
  not: Record<string, (...expected: unknown[]) => void>;
  rejects: Record<string, (...expected: unknown[]) => Promise<void>>;
  resolves: Record<string, (...expected: unknown[]) => Promise<void>>;
};

function matchers(actual: () => unknown, negate: boolean, settle?: "rejects" | "resolves") {
  const apply = (name: string, matcher: Matcher, expected: unknown[], value: unknown) => {
    const { pass, message, notMessage } = matcher(value, ...expected);
    if (pass === negate) throw new Error(`${name}: ${negate ? notMessage : message}`);
  };
  return Object.fromEntries(
    Object.entries(MATCHERS).map(([name, matcher]) => [
      name,
      settle === undefined
        ? (...expected: unknown[]) => apply(name, matcher, expected, actual())
        : async (...expected: unknown[]) => {
            const value = await settleValue(actual(), settle);
            // a rejection is checked like a throw
            apply(name, name === "toThrow" ? (_a, e) => MATCHERS["toThrow"]!(() => { throw value; }, e) : matcher, expected, value);
          },
    ]),
  );
}

async function settleValue(promise: unknown, settle: "rejects" | "resolves"): Promise<unknown> {
  try {
    const value = await promise;
    if (settle === "rejects") throw new SettleError(`expected a rejection, but the promise resolved with ${show(value)}`);
    return value;
  } catch (error) {
    if (error instanceof SettleError || settle === "resolves") throw error;
    return error;
  }
}

class SettleError extends Error {}

/** `expect(value)`. */
export function expect(actual: unknown): Expectation {
  const value = () => actual;
  return Object.assign(matchers(value, false), {
    not: matchers(value, true),
    rejects: matchers(value, false, "rejects"),
    resolves: matchers(value, false, "resolves"),
  }) as Expectation;
}

/** `expect.stringMatching(re)`: any string matching `re`. */
expect.stringMatching = (pattern: RegExp | string): AsymmetricMatcher =>
  asymmetric(`StringMatching ${String(pattern)}`, (actual) => typeof actual === "string" && new RegExp(pattern).test(actual));

/** `expect.any(Class)`: any instance of `Class` (or primitive of that type). */
expect.any = (type: abstract new (...args: never[]) => unknown): AsymmetricMatcher =>
  asymmetric(`Any<${type.name}>`, (actual) => actual instanceof type || (typeof actual === type.name.toLowerCase() && actual !== null));
