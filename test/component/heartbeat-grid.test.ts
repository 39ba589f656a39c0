/**
 * Heartbeats of many pipes share one timer per clock and timing: the grid
 * wakes once per step for all that is due, rounds due times up (never
 * early), and holds no timer once nothing is booked.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { HeartbeatTimeoutError, Pipe, type PipeOptions } from "../../src/pipe/index.ts";
import { gridStep, HeartbeatGrid, type GridMember } from "../../src/pipe/_heartbeat-grid.ts";
import { FakeClock, memoryPair } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

function pair(clock: FakeClock, options: Partial<PipeOptions> = {}) {
  const [ta, tb] = memoryPair();
  const base = { clock, onEvent: () => ({ code: 0, mimetype: "text/plain", data: new Uint8Array(0) }), heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 2_000, ...options };
  const a = new Pipe(ta, { ...base, peer: { name: "b", remoteAddress: "memory:b" } });
  const b = new Pipe(tb, { ...base, peer: { name: "a", remoteAddress: "memory:a" } });
  opened.push(a, b);
  return { a, b, ta };
}

describe("the heartbeat grid", () => {
  test("the step divides both periods and is at most a sixteenth of the shorter", () => {
    expect(gridStep({ intervalMs: 5_000, timeoutMs: 10_000 })).toBe(250);
    expect(gridStep({ intervalMs: 1_000, timeoutMs: 2_000 })).toBe(50);
    expect(gridStep({ intervalMs: 30_000, timeoutMs: 0 })).toBe(1_000);
    expect(gridStep({ intervalMs: 1_234, timeoutMs: 10_000 })).toBe(2);
    expect(gridStep({ intervalMs: 0, timeoutMs: 0 })).toBe(1);
  });

  test("200 pipes started at different times keep one timer, and each heartbeats every interval", async () => {
    const clock = new FakeClock();
    const pipes: Array<{ a: Pipe; b: Pipe }> = [];
    for (let i = 0; i < 100; i++) {
      pipes.push(pair(clock));
      await clock.advance(7); // spread over 700 ms, like clients connecting one after another
    }
    expect(clock.pendingTimers).toBe(1);
    const rtts: number[] = [];
    await clock.advance(10_000);
    for (const { a, b } of pipes) {
      expect(a.status.state).toBe("open");
      expect(b.status.state).toBe("open");
      rtts.push(a.lastRttMs!);
    }
    expect(clock.pendingTimers).toBe(1); // 200 monitors, one timer
    expect(rtts.every((ms) => ms === 0)).toBe(true); // answered in the same step (memory transport)
  });

  test("a silent peer among many is declared dead after the timeout, never before, and at most a step after interval + timeout", async () => {
    const clock = new FakeClock();
    const quiet = pair(clock);
    await clock.advance(333); // off the grid
    const others = Array.from({ length: 20 }, () => pair(clock));
    await clock.advance(5_000);
    const silentAt = clock.now();
    quiet.ta.goSilent();
    await clock.advance(2_000);
    expect(quiet.a.status.state).toBe("open");
    await clock.advance(1_000 + 50);
    expect(quiet.a.status.state).toBe("closed");
    expect(await quiet.a.closed).toBeInstanceOf(HeartbeatTimeoutError);
    const silentMs = clock.now() - silentAt;
    expect(silentMs).toBeLessThanOrEqual(3_050); // was ${silentMs}
    for (const { a } of others) expect(a.status.state).toBe("open");
  });

  test("no timer is left once every pipe has closed", async () => {
    const clock = new FakeClock();
    const all = Array.from({ length: 5 }, () => pair(clock));
    await clock.advance(3_000);
    expect(clock.pendingTimers).toBe(1);
    for (const { a, b } of all) {
      a.close();
      b.close();
    }
    expect(clock.pendingTimers).toBe(0);
  });

  test("a member that throws does not stop the others' heartbeats, and the grid stays armed", async () => {
    const clock = new FakeClock();
    const grid = new HeartbeatGrid(clock, 10);
    const beats: string[] = [];
    const member = (name: string, fail: boolean): GridMember => ({
      booked: { beat: -1, check: -1 },
      beat() {
        beats.push(name);
        grid.schedule(this, "beat", clock.now() + 100);
        if (fail) throw new Error(`${name} failed`);
      },
      check() {},
    });
    grid.schedule(member("bad", true), "beat", 100);
    grid.schedule(member("good", false), "beat", 100);
    await expect(clock.advance(100)).rejects.toThrow("bad failed");
    expect(beats).toEqual(["bad", "good"]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(100).catch(() => {});
    expect(beats).toEqual(["bad", "good", "bad", "good"]);
  });
});
