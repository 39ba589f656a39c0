/** The sender's paced connection credit (src/pipe/_paced-credit.ts), in virtual time. */
import { describe, expect, test } from "bun:test";
import { PACING_MIN_BYTES, PacedCredit } from "../../../src/pipe/_paced-credit.ts";

const MiB = 1024 * 1024;
const WINDOW = 64 * MiB;

function credit() {
  let now = 0;
  const c = new PacedCredit(WINDOW, () => now);
  return { c, advance: (ms: number) => void (now += ms) };
}

describe("paced connection credit", () => {
  test("a receiver of an earlier version (16 MiB grants): the whole window, as before", () => {
    const { c, advance } = credit();
    c.take(40 * MiB);
    expect(c.available).toBe(24 * MiB);
    advance(5);
    c.add(16 * MiB);
    expect({ paced: c.paced, available: c.available }).toEqual({ paced: false, available: 40 * MiB });
  });

  test("a receiver that returns credit in small batches: in flight is held to the pacing bound", () => {
    const { c, advance } = credit();
    c.take(256 * 1024);
    advance(1);
    c.add(256 * 1024);
    expect(c.paced).toBe(true);
    expect(c.available).toBe(PACING_MIN_BYTES);
    c.take(PACING_MIN_BYTES);
    expect(c.available).toBe(0);
    advance(1);
    c.add(512 * 1024);
    expect(c.available).toBe(512 * 1024);
  });

  test("on a long path the bound grows to twice rate × round trip, within the window", () => {
    const { c, advance } = credit();
    c.take(64 * 1024);
    advance(50);
    c.add(64 * 1024); // paced from here; round trips are 50 ms
    for (let round = 0; round < 12; round++) {
      const burst = c.available;
      for (let sent = 0; sent < burst; sent += 256 * 1024) c.take(Math.min(256 * 1024, burst - sent));
      advance(50);
      for (let back = 0; back < burst; back += 256 * 1024) c.add(Math.min(256 * 1024, burst - back));
    }
    // 2 MiB per 50 ms at first, doubling per round trip until the window holds it back.
    expect(c.bound).toBe(WINDOW); // was ${c.bound}
  });

  test("on a short path (loopback) the bound stays at the minimum", () => {
    const { c, advance } = credit();
    c.take(64 * 1024);
    advance(0.2);
    c.add(64 * 1024);
    for (let round = 0; round < 200; round++) {
      c.take(1 * MiB);
      advance(0.2); // 1 MiB per 0.2 ms: 5 GB/s, BDP 1 MiB
      c.add(1 * MiB);
    }
    expect(c.bound).toBeLessThanOrEqual(4 * MiB); // was ${c.bound}
    expect(c.bound).toBeGreaterThanOrEqual(PACING_MIN_BYTES);
  });
});
