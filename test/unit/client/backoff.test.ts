import { describe, expect, test } from "bun:test";
import { backoff, goAwayDelay } from "../../../src/client/index.ts";
import { reconnectWindowMs } from "../../../src/server/index.ts";

const options = { baseMs: 100, capMs: 2_000 };

describe("backoff (full jitter)", () => {
  test("the ceiling doubles per attempt up to the cap", () => {
    const top = (attempt: number) => backoff(attempt, { ...options, random: () => 0.999_999 });
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(top)).toEqual([99, 199, 399, 799, 1_599, 1_999, 1_999, 1_999]);
  });

  test("the jitter spans the whole range down to 0", () => {
    expect(backoff(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoff(3, { ...options, random: () => 0.5 })).toBe(400);
  });

  test("the first retry comes within the base", () => {
    for (let i = 0; i < 1_000; i++) expect(backoff(0, options)).toBeLessThan(100);
  });

  test("huge attempt counts do not overflow", () => {
    expect(backoff(10_000, { ...options, random: () => 0.5 })).toBe(1_000);
  });

  test("a bad attempt number is a RangeError", () => {
    expect(() => backoff(-1, options)).toThrow(new RangeError("Cannot compute backoff: attempt must be a whole number >= 0, got -1"));
    expect(() => backoff(1.5, options)).toThrow(RangeError);
  });
});

describe("GoAway", () => {
  test("the client waits between retryAfter and twice that", () => {
    expect(goAwayDelay(1_000, () => 0)).toBe(1_000);
    expect(goAwayDelay(1_000, () => 0.999)).toBe(1_999);
  });

  test("the server's reconnect window grows with the fleet, within [250 ms, 10 s]", () => {
    expect([0, 1, 250, 800, 5_000, 50_000].map(reconnectWindowMs)).toEqual([250, 250, 250, 800, 5_000, 10_000]);
  });
});
