/** The fan-out concurrency cap: at most max slots, FIFO, aborted waiters leave the queue. */
import { describe, expect, test } from "bun:test";
import { FanoutLimiter, SLOW_CEILING } from "../../../src/fanout/index.ts";

describe("FanoutLimiter", () => {
  test("grants up to max at once, then in arrival order as slots are released", async () => {
    const limiter = new FanoutLimiter(2);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    const order: number[] = [];
    const third = limiter.acquire().then((release) => (order.push(3), release));
    const fourth = limiter.acquire().then((release) => (order.push(4), release));
    expect([limiter.inUse, limiter.waiting]).toEqual([2, 2]);
    first();
    first(); // a second call does nothing
    const releaseThird = await third;
    expect(order).toEqual([3]);
    expect([limiter.inUse, limiter.waiting]).toEqual([2, 1]);
    second();
    (await fourth)();
    releaseThird();
    expect([limiter.inUse, limiter.waiting]).toEqual([0, 0]);
    expect(order).toEqual([3, 4]);
  });

  test("an aborted waiter rejects with the signal's reason and never takes a slot", async () => {
    const limiter = new FanoutLimiter(1);
    const held = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    held();
    (await next)();
    expect([limiter.inUse, limiter.waiting]).toEqual([0, 0]);
    await expect(limiter.acquire(controller.signal)).rejects.toThrow("gone");
  });

  test("many waiters under one signal: an abort rejects those still queued, and only those", async () => {
    const limiter = new FanoutLimiter(2);
    const controller = new AbortController();
    const outcomes: string[] = [];
    const releases: Array<() => void> = [];
    const all = Array.from({ length: 6 }, (_, i) =>
      limiter.acquire(controller.signal).then(
        (release) => {
          outcomes.push(`granted ${i}`);
          releases.push(release);
        },
        () => outcomes.push(`rejected ${i}`),
      ),
    );
    await Promise.resolve();
    releases.shift()!(); // frees a slot for waiter 2
    await Promise.resolve();
    controller.abort(new Error("deadline"));
    await Promise.all(all);
    expect(outcomes).toEqual(["granted 0", "granted 1", "granted 2", "rejected 3", "rejected 4", "rejected 5"]);
    for (const release of releases) release();
    expect([limiter.inUse, limiter.waiting]).toEqual([0, 0]);
  });

  test("a bad maximum is refused", () => {
    expect(() => new FanoutLimiter(0)).toThrow("Cannot limit fan-outs to 0 requests at once: use a whole number >= 1");
  });

  test("10,000 waiters are served through one slot, in order", async () => {
    const limiter = new FanoutLimiter(1);
    const served: number[] = [];
    const all = Array.from({ length: 10_000 }, (_, i) =>
      limiter.acquire().then((release) => {
        served.push(i);
        release();
      }),
    );
    await Promise.all(all);
    expect(served).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(limiter.inUse).toBe(0);
  });
});

describe("slow requests", () => {
  test("give their slot back up to SLOW_CEILING × the cap; past it they keep it, and an ended one makes room again", () => {
    const limiter = new FanoutLimiter(2);
    let given = 0;
    for (let i = 0; i < 100; i++) {
      if (!limiter.tryAcquire()) break;
      if (limiter.releaseSlow()) given++;
      else break;
    }
    expect({ given, slowOut: limiter.slowOut, inUse: limiter.inUse }).toEqual({ given: SLOW_CEILING * 2, slowOut: SLOW_CEILING * 2, inUse: 1 });
    expect(limiter.releaseSlow()).toBe(false);
    limiter.slowEnded();
    expect(limiter.releaseSlow()).toBe(true);
    expect(limiter.inUse).toBe(0);
  });
});

