import { describe, expect, test } from "bun:test";
import { backoff, goAwayDelay, QUICK_ATTEMPTS, QUICK_RETRY_MS } from "../../../src/client/index.ts";
import { reconnectWindowMs } from "../../../src/server/index.ts";

const options = { baseMs: 100, capMs: 2_500 };
const top = (attempt: number, o = options) => backoff(attempt, { ...o, random: () => 0.999_999 });
const bottom = (attempt: number, o = options) => backoff(attempt, { ...o, random: () => 0 });

describe("backoff: first retry, quick phase, then capped doubling with equal jitter", () => {
  test("the first retry comes within the base, down to 0", () => {
    for (let i = 0; i < 1_000; i++) expect(backoff(0, options)).toBeLessThan(100);
    expect(bottom(0)).toBe(0);
  });

  test(`attempts 1..${QUICK_ATTEMPTS} retry every ${QUICK_RETRY_MS / 2}-${QUICK_RETRY_MS} ms`, () => {
    const quick = Array.from({ length: QUICK_ATTEMPTS }, (_, i) => i + 1);
    expect(quick.map((a) => top(a))).toEqual(Array(QUICK_ATTEMPTS).fill(QUICK_RETRY_MS - 1));
    expect(quick.map((a) => bottom(a))).toEqual(Array(QUICK_ATTEMPTS).fill(QUICK_RETRY_MS / 2));
  });

  test("a server restarted within the quick phase is dialled at most QUICK_RETRY_MS after it listens", () => {
    // Worst case: every delay at its top; no gap between two dials of the quick phase exceeds its ceiling.
    let at = top(0);
    const dials = [at];
    for (let a = 1; a <= QUICK_ATTEMPTS; a++) dials.push((at += top(a)));
    const gaps = dials.slice(1).map((t, i) => t - dials[i]!);
    expect(Math.max(...gaps)).toBeLessThan(QUICK_RETRY_MS);
    // ... and the phase lasts at least 1.5 s even with every delay at its bottom: covers a restart within a second.
    let least = 0;
    for (let a = 1; a <= QUICK_ATTEMPTS; a++) least += bottom(a);
    expect(least).toBeGreaterThanOrEqual(1_500);
  });

  test("after the quick phase the ceiling doubles up to the cap, jitter in [ceiling/2, ceiling]", () => {
    const after = [1, 2, 3, 4, 50].map((n) => QUICK_ATTEMPTS + n);
    expect(after.map((a) => top(a))).toEqual([599, 1_199, 2_399, 2_499, 2_499]);
    expect(after.map((a) => bottom(a))).toEqual([300, 600, 1_200, 1_250, 1_250]);
  });

  test("10,000 clients of a server that stays down: a few thousand dials a second, not a storm", () => {
    // Mean delay at the cap is 3/4 of it (uniform in [cap/2, cap]); measure it with a seeded generator.
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: 10_000 }, () => backoff(QUICK_ATTEMPTS + 20, { ...options, random }));
    const meanMs = samples.reduce((sum, d) => sum + d, 0) / samples.length;
    const perSecond = 10_000 / (meanMs / 1_000);
    console.log(`10,000 clients at the cap (${options.capMs} ms): mean delay ${meanMs.toFixed(0)} ms, ~${perSecond.toFixed(0)} dials/s, at most ${10_000 / (options.capMs / 2000)} dials/s`);
    expect(perSecond).toBeLessThan(6_000);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(options.capMs / 2);
  });

  test("the quick delay is never below the base nor above the cap", () => {
    expect(top(1, { baseMs: 5_000, capMs: 30_000 })).toBe(4_999); // a slow base keeps its pace
    expect(top(1, { baseMs: 50, capMs: 200 })).toBe(199); // a small cap wins
    expect(top(0, { baseMs: 100, capMs: 50 })).toBe(49);
  });

  test("huge attempt counts do not overflow", () => {
    expect(backoff(10_000, { ...options, random: () => 0.5 })).toBe(1_875);
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
