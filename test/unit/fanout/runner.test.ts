/** The runner's pacing: sends in batches with a turn of the event loop between them, runs taking turns for slots, one abort for what is in flight. */
import { describe, expect, test } from "bun:test";
import { FANOUT_SEND_BATCH, FANOUT_SLOW_MS, FanoutLimiter, SLOW_FACTOR, runFanout, type EntryMaker, type FanoutPeer, type FanoutRun, type FanoutTarget } from "../../../src/fanout/index.ts";
import { PipeDrainingError, PreparedEvent, RequestAbortedError, RequestTimeoutError, type ReplySink } from "../../../src/pipe/index.ts";
import type { EventReply } from "../../../src/wire/index.ts";
import { FakeClock } from "../../support/index.ts";

const entries: EntryMaker = {
  reply: (_name, reply) => ({ status: 200, code: reply.code ?? 0 }),
  error: (_name, error) => ({ status: error instanceof RequestTimeoutError ? 504 : 502, code: 255, error: (error as Error).message }),
};

/** Targets whose requests wait until the test answers them; `sent` lists the names in the order asked, `signals` what each was given. */
function peers(count: number, prefix = "c", sent: string[] = []) {
  const answers = new Map<string, (reply: EventReply) => void>();
  const signals = new Map<string, AbortSignal>();
  const targets: FanoutTarget[] = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}${i}`;
    const pipe: FanoutPeer = {
      request: (_event, options) => {
        sent.push(name);
        signals.set(name, options!.signal!);
        return new Promise((resolve, reject) => {
          answers.set(name, resolve);
          options?.signal?.addEventListener("abort", () => reject(new Error(`${name} aborted`)));
        });
      },
    };
    return { name, pipe };
  });
  return { targets, sent, signals, answer: (name: string) => answers.get(name)!({ code: 0 }) };
}

function runOf(limiter: FanoutLimiter, clock: FakeClock, turns: Array<() => void>, extra: Partial<FanoutRun> = {}) {
  return { event: { verb: "get", noun: "time" }, timeoutMs: 1_000, clock, limiter, entries, yieldToIo: (next: () => void) => void turns.push(next), ...extra };
}

describe("runFanout pacing", () => {
  test("at most FANOUT_SEND_BATCH requests go out before the run yields to the event loop", async () => {
    const { targets, sent, answer } = peers(FANOUT_SEND_BATCH * 2 + 5);
    const turns: Array<() => void> = [];
    const done = runFanout(targets, runOf(new FanoutLimiter(1_000), new FakeClock(), turns));
    expect(sent.length).toBe(FANOUT_SEND_BATCH);
    turns.shift()!();
    expect(sent.length).toBe(FANOUT_SEND_BATCH * 2);
    turns.shift()!();
    expect(sent.length).toBe(targets.length);
    expect(turns).toEqual([]);
    for (const name of sent) answer(name);
    const result = await done;
    expect([result.matched, result.answered]).toEqual([targets.length, targets.length]);
  });

  test("two runs share the cap slot by slot; every slot is given back", async () => {
    const limiter = new FanoutLimiter(2);
    const clock = new FakeClock();
    const log: string[] = [];
    const a = peers(4, "a", log);
    const b = peers(4, "b", log);
    const turns: Array<() => void> = [];
    const order: string[] = [];
    const doneA = runFanout(a.targets, runOf(limiter, clock, turns));
    const doneB = runFanout(b.targets, runOf(limiter, clock, turns));
    expect(log).toEqual(["a0", "a1"]);
    expect(limiter.waiting).toBe(2); // one waiter per run, not one per target
    // Each answer frees a slot, which goes to the run that has waited longest.
    for (const [run, name] of [[a, "a0"], [a, "a1"], [a, "a2"], [b, "b0"], [a, "a3"], [b, "b1"], [b, "b2"], [b, "b3"]] as const) {
      run.answer(name);
      await Promise.resolve();
      await Promise.resolve();
      while (turns.length > 0) turns.shift()!();
      order.push(log.at(-1)!);
    }
    // a0 and a1 at once; then each freed slot goes to the run that queued first (a, then b, then a again).
    expect(order).toEqual(["a2", "b0", "a3", "b1", "b2", "b3", "b3", "b3"]);
    expect((await doneA).answered + (await doneB).answered).toBe(8);
    expect([limiter.inUse, limiter.waiting]).toEqual([0, 0]);
  });

  test("requests share an abort signal per batch; the deadline aborts those in flight and frees their slots", async () => {
    const limiter = new FanoutLimiter(1_000);
    const clock = new FakeClock();
    const { targets, signals } = peers(FANOUT_SEND_BATCH + 1);
    const turns: Array<() => void> = [];
    const done = runFanout(targets, runOf(limiter, clock, turns));
    turns.shift()!();
    const distinct = new Set(signals.values());
    expect(distinct.size).toBe(2);
    await clock.advance(1_000);
    const result = await done;
    expect(Object.values(Object.fromEntries(result.results)).every((entry) => entry.status === 504)).toBe(true);
    expect([...distinct].every((signal) => signal.aborted)).toBe(true);
    await Promise.resolve();
    expect(limiter.inUse).toBe(0);
  });

  test("silent clients give their slots back after FANOUT_SLOW_MS: as many of them as the cap no longer leave the rest unasked (and reported 504)", async () => {
    const limiter = new FanoutLimiter(2);
    const clock = new FakeClock();
    const silent = new Set(["c0", "c1", "c3"]);
    const sent: string[] = [];
    const { targets, answer } = peers(6, "c", sent);
    const turns: Array<() => void> = [];
    const done = runFanout(targets, runOf(limiter, clock, turns));
    expect(sent).toEqual(["c0", "c1"]); // the cap is full of silent clients
    await clock.advance(FANOUT_SLOW_MS - 1);
    expect(sent).toEqual(["c0", "c1"]); // not before FANOUT_SLOW_MS
    await clock.advance(1);
    expect(sent).toEqual(["c0", "c1", "c2", "c3"]);
    expect(limiter.inUse).toBe(2); // the slots of c0 and c1 now belong to c2 and c3
    answer("c2");
    await clock.advance(0);
    while (turns.length > 0) turns.shift()!();
    expect(sent).toEqual(["c0", "c1", "c2", "c3", "c4"]); // c2's answer freed its slot; c3 still holds one
    await clock.advance(FANOUT_SLOW_MS);
    expect(sent).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]); // c3 went slow
    for (const name of ["c4", "c5"]) answer(name);
    await clock.advance(1_000);
    const result = await done;
    const statuses = Object.fromEntries([...result.results].map(([name, entry]) => [name, entry.status]));
    expect(statuses).toEqual({ c0: 504, c1: 504, c2: 200, c3: 504, c4: 200, c5: 200 });
    expect([...silent].every((name) => statuses[name] === 504)).toBe(true);
    await Promise.resolve();
    expect([limiter.inUse, limiter.waiting, clock.pendingTimers]).toEqual([0, 0, 0]); // no slot given back twice, no timer left
  });

  test("when this run's replies take long (an overloaded machine), a request is slow only past SLOW_FACTOR × their average", async () => {
    const limiter = new FanoutLimiter(1);
    const clock = new FakeClock();
    const { targets, sent, answer } = peers(3);
    const done = runFanout(targets, runOf(limiter, clock, []));
    await clock.advance(150);
    answer("c0"); // took 150 ms: slow from 4 × 150 = 600 ms on, not from FANOUT_SLOW_MS (200)
    await clock.advance(0);
    expect(sent).toEqual(["c0", "c1"]);
    await clock.advance(150 * SLOW_FACTOR - 1);
    expect(sent).toEqual(["c0", "c1"]);
    await clock.advance(1);
    expect(sent).toEqual(["c0", "c1", "c2"]);
    await clock.advance(1_000);
    const result = await done;
    expect([...result.results.values()].map((entry) => entry.status)).toEqual([200, 504, 504]);
  });

  test("slowMs 0 (RP_SERVER_FANOUT_SLOW_S=0): a request holds its slot until it ends, and no slow check runs", async () => {
    const limiter = new FanoutLimiter(1, { slowMs: 0 });
    const clock = new FakeClock();
    const { targets, sent } = peers(2);
    const done = runFanout(targets, runOf(limiter, clock, []));
    expect(clock.pendingTimers).toBe(1); // the deadline only
    await clock.advance(999);
    expect(sent).toEqual(["c0"]);
    await clock.advance(1);
    const result = await done;
    expect([...result.results.values()].map((entry) => entry.status)).toEqual([504, 504]);
  });

  test("a peer whose request throws gets an error entry, and its slot back", async () => {
    const limiter = new FanoutLimiter(1);
    const broken: FanoutTarget = {
      name: "x",
      pipe: {
        request: () => {
          throw new Error("forwarder is down");
        },
      },
    };
    const result = await runFanout([broken], runOf(limiter, new FakeClock(), []));
    expect(result.results.get("x")).toEqual({ status: 502, code: 255, error: "forwarder is down" });
    expect(limiter.inUse).toBe(0);
  });
});

/** Peers with requestPrepared (as Pipes have): `calls` records each (name, token, deadline), `aborted` the ids the run aborted. */
function preparedPeers(count: number, refuse = new Set<string>()) {
  const calls: Array<{ name: string; token: number; deadlineMs: number | undefined; prepared: PreparedEvent }> = [];
  const sinks = new Map<string, { sink: ReplySink; token: number; id: number }>();
  const aborted: number[] = [];
  let requests = 0;
  const targets: FanoutTarget[] = Array.from({ length: count }, (_, i) => {
    const name = `p${i}`;
    const pipe: FanoutPeer = {
      request: () => {
        requests++;
        return Promise.reject(new Error("request() is not for peers with requestPrepared"));
      },
      requestPrepared: (prepared, deadlineMs, sink, token) => {
        calls.push({ name, token, deadlineMs, prepared });
        if (refuse.has(name)) return new PipeDrainingError(name);
        sinks.set(name, { sink, token, id: 100 + i });
        return 100 + i;
      },
      abortRequest: (id) => {
        aborted.push(id);
        const entry = [...sinks.values()].find((s) => s.id === id)!;
        entry.sink.failed(entry.token, new RequestAbortedError(name));
      },
    };
    return { name, pipe };
  });
  const answer = (name: string, code = 0) => {
    const entry = sinks.get(name)!;
    sinks.delete(name);
    entry.sink.replied(entry.token, { code });
  };
  return { targets, calls, aborted, answer, requests: () => requests };
}

describe("runFanout with peers that take a prepared event", () => {
  test("one PreparedEvent for the run, one sink, the target's index as token; no request() and no abort signal", async () => {
    const limiter = new FanoutLimiter(1_000);
    const clock = new FakeClock();
    const { targets, calls, answer, requests } = preparedPeers(3);
    const done = runFanout(targets, runOf(limiter, clock, []));
    expect(calls.map((call) => [call.name, call.token, call.deadlineMs])).toEqual([["p0", 0, 1_000], ["p1", 1, 1_000], ["p2", 2, 1_000]]);
    expect(new Set(calls.map((call) => call.prepared)).size).toBe(1);
    expect(calls[0]!.prepared.event).toEqual({ verb: "get", noun: "time" });
    answer("p2", 7);
    answer("p0");
    answer("p1");
    const result = await done;
    expect([...result.results]).toEqual([["p2", { status: 200, code: 7 }], ["p0", { status: 200, code: 0 }], ["p1", { status: 200, code: 0 }]]);
    expect([requests(), limiter.inUse, clock.pendingTimers]).toEqual([0, 0, 0]);
  });

  test("the deadline aborts by id what is in flight (their entries 504), a refusal is an error entry; every slot comes back", async () => {
    const limiter = new FanoutLimiter(1_000);
    const clock = new FakeClock();
    const { targets, aborted, answer } = preparedPeers(4, new Set(["p3"]));
    const done = runFanout(targets, runOf(limiter, clock, []));
    await clock.advance(400);
    answer("p1");
    await clock.advance(600);
    const result = await done;
    expect(Object.fromEntries([...result.results].map(([name, entry]) => [name, entry.status]))).toEqual({ p3: 502, p1: 200, p0: 504, p2: 504 });
    expect(aborted).toEqual([100, 102]);
    expect([result.answered, limiter.inUse]).toEqual([1, 0]);
  });
});

describe("FanoutLimiter slots without promises", () => {
  test("tryAcquire never jumps the queue; release hands the slot to the oldest waiter; a cancelled waiter is skipped", () => {
    const limiter = new FanoutLimiter(1);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    const granted: string[] = [];
    const cancelFirst = limiter.wait(() => granted.push("first"));
    limiter.wait(() => granted.push("second"));
    expect(limiter.waiting).toBe(2);
    cancelFirst();
    cancelFirst();
    expect(limiter.waiting).toBe(1);
    limiter.release();
    expect(granted).toEqual(["second"]);
    expect([limiter.inUse, limiter.waiting]).toEqual([1, 0]);
    limiter.release();
    expect(limiter.inUse).toBe(0);
  });

  test("a waiter queued while a slot is free is granted soon, not left waiting for a release", async () => {
    const limiter = new FanoutLimiter(2);
    const granted: string[] = [];
    limiter.wait(() => granted.push("early"));
    expect(granted).toEqual([]); // not within the caller's call
    await Promise.resolve();
    expect(granted).toEqual(["early"]);
    expect([limiter.inUse, limiter.waiting]).toEqual([1, 0]);
    limiter.release();
  });
});
