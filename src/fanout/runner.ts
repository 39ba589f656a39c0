/**
 * Runs one fan-out: the same event to every target, each through the
 * concurrency cap, each with what is left of one shared deadline. Every
 * target gets exactly one entry: its reply, its error, or 504 when the
 * deadline passes first (then its request is aborted, so the handler's
 * `ctx.signal` fires on the client). The result resolves at the deadline at
 * the latest, however many clients are slow. Sends go out in batches of
 * FANOUT_SEND_BATCH with a turn of the event loop between them. A request
 * unanswered after the limiter's `slowMs` gives its slot of the cap back (it stays
 * in flight): silent clients cost no work, and without this as many of them
 * as the cap held every slot, so that the rest were never asked and were
 * reported 504 (with the default cap of 128, any fan-out with 128 silent clients).
 * A target that is a Pipe gets the event encoded once for the run
 * (PreparedEvent) and reports back by one callback; its in-flight request is
 * aborted by id at the end (one listener and one promise fewer per target).
 */
import { PreparedEvent, RequestAbortedError, RequestTimeoutError, type Clock, type OutboundEvent, type Pipe, type ReplySink, type TimerHandle } from "../pipe/index.ts";
import type { EventReply } from "../wire/index.ts";
import { ClientOfflineError } from "./errors.ts";
import type { FanoutLimiter } from "./limiter.ts";
import type { FanoutEntry, FanoutSummary } from "./result.ts";

/**
 * What a fan-out sends through: a Pipe here; a fleet can hand in a forwarder
 * to a client on another server (`request` only). A peer with
 * `requestPrepared` gets the event encoded once for the whole run, and its
 * outcome by callback (no promise, no abort listener per target).
 */
export type FanoutPeer = Pick<Pipe, "request"> & Partial<Pick<Pipe, "requestPrepared" | "abortRequest">>;

/** One client a fan-out asks: connected (a pipe) or listed offline. */
export interface FanoutTarget {
  readonly name: string;
  /** Undefined: not connected, listed because `?include=offline` asked for it. */
  readonly pipe: FanoutPeer | undefined;
  /** When an offline client was last connected (epoch ms), if known. */
  readonly lastSeenMs?: number;
}

/** Turns replies and errors into entries (the front's status table lives in http/, not here). */
export interface EntryMaker {
  reply(name: string, reply: EventReply): FanoutEntry;
  error(name: string, error: unknown): FanoutEntry;
}

/** What a run needs. */
export interface FanoutRun {
  readonly event: OutboundEvent;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly limiter: FanoutLimiter;
  readonly entries: EntryMaker;
  /** The caller went away: the run ends at once and aborts what is in flight. */
  readonly signal?: AbortSignal;
  /** Called once per target, as its entry is known (NDJSON streams from here). */
  readonly onEntry?: (name: string, entry: FanoutEntry) => void;
  /** Runs the next batch of sends after the I/O already waiting (default setImmediate; unit tests step it by hand). */
  readonly yieldToIo?: (next: () => void) => void;
}

/** The outcome of a run. */
export interface FanoutResult extends FanoutSummary {
  readonly results: ReadonlyMap<string, FanoutEntry>;
  /** Where the run's time went (ms since it began), for the answer's Server-Timing header and the benchmark. */
  readonly timing: FanoutTiming;
}

/** Milestones of a run, in ms since it began. */
export interface FanoutTiming {
  /** The last request handed to its pipe (0 when none was sent). */
  readonly lastSendMs: number;
  /** The last reply (or pipe error) came back (0 when none did). */
  readonly lastReplyMs: number;
  /** Every entry known (the run's end). */
  readonly doneMs: number;
}

/**
 * Requests sent at most in one go before the run yields to the event loop
 * (setImmediate), so that front requests and replies of other pipes are
 * served between the batches of a large fan-out; also the most requests
 * of forwarders (peers without requestPrepared) that share one
 * AbortController (its listeners are scanned on each removal).
 */
export const FANOUT_SEND_BATCH = 32;

/** `holding` of a request that gave its slot back as slow and is still out (1: it holds a slot; 0: neither). */
const SLOW = 2;

/** A request is slow (gives its slot back) once out this many times the run's average reply time, and at least the limiter's slowMs. */
export const SLOW_FACTOR = 4;

/** Runs `next` after the I/O already waiting (the default schedule of a run's next batch). */
const afterIo = (next: () => void): void => void setImmediate(next);

/**
 * Asks every target; resolves once each has its entry (by the deadline at
 * the latest). One timer for the whole run; the slots of the cap are taken
 * one at a time, without a promise per target.
 */
export function runFanout(targets: readonly FanoutTarget[], run: FanoutRun): Promise<FanoutResult> {
  const { clock, timeoutMs, entries, limiter } = run;
  const slowMs = limiter.slowMs;
  const results = new Map<string, FanoutEntry>();
  const started = clock.now();
  const yieldToIo = run.yieldToIo ?? afterIo;
  let answered = 0;
  let finished = false;
  let lastSendAt = started;
  let lastReplyAt = started;
  let resolve!: (result: FanoutResult) => void;
  const done = new Promise<FanoutResult>((r) => (resolve = r));

  // Which targets have their entry, by index (a flag per target rather than a lookup by name).
  const settled = new Uint8Array(targets.length);
  let settledCount = 0;
  const settle = (index: number, entry: FanoutEntry, replied: boolean) => {
    if (finished || settled[index] === 1) return;
    settled[index] = 1;
    settledCount++;
    const name = targets[index]!.name;
    results.set(name, entry);
    if (replied) answered++;
    run.onEntry?.(name, entry);
    if (settledCount === targets.length) finish();
  };
  const settleRest = (error: (name: string) => Error) => {
    for (let i = 0; i < targets.length && !finished; i++) if (settled[i] === 0) settle(i, entries.error(targets[i]!.name, error(targets[i]!.name)), false);
  };
  const onCallerAbort = () => settleRest((name) => new RequestAbortedError(name));
  const timer = clock.setTimeout(() => settleRest((name) => new RequestTimeoutError(timeoutMs, name)), timeoutMs);

  // The connected targets, sent in order; `next` is the first not sent yet.
  const live: number[] = [];
  let next = 0;
  let inFlight = 0;
  let cancelWait: (() => void) | undefined;
  let pumpScheduled = false;
  // Requests in flight that hold a slot of the cap, oldest first (target indexes; `sentAt` by index): the slow check walks from the head.
  const holding = new Uint8Array(targets.length);
  const sentAt = new Float64Array(targets.length);
  // How long this run's replies take (moving average): a request counts as slow only past max(slowMs, SLOW_FACTOR × that),
  // so that on an overloaded machine, where every reply takes long, the cap still holds rather than letting the whole fan-out out at once.
  let replyMsAverage = 0;
  const holders: number[] = [];
  let holdersHead = 0;
  let slowTimer: TimerHandle | undefined;
  // Forwarders' requests in flight share a controller per batch: one abort at the end reaches them all, and no signal holds thousands of listeners.
  const controllers: AbortController[] = [];
  let batch: AbortController | undefined;
  let batchSize = 0;
  // Peers with requestPrepared: the event encoded once for the run, outcomes by the run's one sink (the token is the
  // target's index), the request's id kept (0 once it returned) to abort it at the end.
  const prepared = run.event.body === undefined ? new PreparedEvent(run.event) : undefined;
  const ids = new Float64Array(targets.length);
  const sink: ReplySink = {
    replied: (index, reply) => returned(index, true, reply),
    failed: (index, error) => returned(index, false, error),
  };

  const finish = () => {
    finished = true;
    clock.clearTimeout(timer);
    if (slowTimer !== undefined) clock.clearTimeout(slowTimer);
    slowTimer = undefined;
    run.signal?.removeEventListener("abort", onCallerAbort);
    cancelWait?.();
    cancelWait = undefined;
    // Requests still in flight end now (their entries are set); the peer is told, so that its handlers stop.
    if (inFlight > 0) for (const controller of controllers) controller.abort();
    controllers.length = 0;
    for (let i = 0; i < next && inFlight > 0; i++) {
      const index = live[i]!;
      if (ids[index] !== 0) targets[index]!.pipe!.abortRequest?.(ids[index]!);
    }
    const timing = { lastSendMs: lastSendAt - started, lastReplyMs: lastReplyAt - started, doneMs: clock.now() - started };
    resolve({ matched: targets.length, answered, results, timing });
  };

  const returned = (index: number, replied: boolean, outcome: unknown) => {
    inFlight--;
    ids[index] = 0;
    if (holding[index] === 1) limiter.release();
    else if (holding[index] === SLOW) limiter.slowEnded();
    holding[index] = 0;
    if (finished) return;
    lastReplyAt = clock.now();
    const tookMs = lastReplyAt - sentAt[index]!;
    replyMsAverage = replyMsAverage === 0 ? tookMs : replyMsAverage + (tookMs - replyMsAverage) / 8;
    const name = targets[index]!.name;
    if (replied) return settle(index, entries.reply(name, outcome as EventReply), true);
    // The pipe's own timer for what was left of the deadline: reported as the fan-out's deadline, like the others.
    settle(index, entries.error(name, outcome instanceof RequestTimeoutError ? new RequestTimeoutError(timeoutMs, name) : outcome), false);
  };

  /** Sends the next target with the slot just taken. */
  const send = () => {
    const index = live[next++]!;
    const pipe = targets[index]!.pipe!;
    const now = clock.now();
    const leftMs = timeoutMs - (now - started);
    if (leftMs <= 0) {
      limiter.release(); // the deadline's timer sets its entry
      return;
    }
    holding[index] = 1;
    sentAt[index] = now;
    holders.push(index);
    if (slowTimer === undefined && slowMs > 0) slowTimer = clock.setTimeout(releaseSlow, slowMs);
    inFlight++;
    lastSendAt = now;
    if (prepared !== undefined && pipe.requestPrepared !== undefined) {
      const id = pipe.requestPrepared(prepared, Math.ceil(leftMs), sink, index);
      if (typeof id === "number") ids[index] = id;
      else queueMicrotask(() => returned(index, false, id)); // refused (closed, full, ...): an error entry, after this turn like a rejection
      return;
    }
    if (batch === undefined || batchSize >= FANOUT_SEND_BATCH) {
      batch = new AbortController();
      batchSize = 0;
      controllers.push(batch);
    }
    batchSize++;
    let reply: Promise<EventReply>;
    try {
      reply = pipe.request(run.event, { deadlineMs: Math.ceil(leftMs), signal: batch.signal });
    } catch (error) {
      reply = Promise.reject(error); // a forwarder that throws is an error entry like any other
    }
    reply.then(
      (value) => returned(index, true, value),
      (error: unknown) => returned(index, false, error),
    );
  };

  /** Gives back the slots of requests out for max(slowMs, SLOW_FACTOR × the average reply) or more; checks again while any request holds one. */
  const releaseSlow = () => {
    slowTimer = undefined;
    if (finished) return;
    const now = clock.now();
    const slowAfterMs = Math.max(slowMs, SLOW_FACTOR * replyMsAverage);
    while (holdersHead < holders.length) {
      const index = holders[holdersHead]!;
      if (holding[index] === 1) {
        if (now - sentAt[index]! < slowAfterMs) break;
        // At the ceiling of slow requests out (all fan-outs together): keep the slot, look again a slow period later.
        holding[index] = SLOW;
        if (!limiter.releaseSlow()) {
          holding[index] = 1;
          slowTimer = clock.setTimeout(releaseSlow, slowAfterMs);
          return;
        }
        if (finished) return; // a grant may have sent into a pipe that settled the last entry
      }
      holdersHead++;
    }
    if (holdersHead > 1024 && holdersHead * 2 > holders.length) {
      holders.splice(0, holdersHead);
      holdersHead = 0;
    }
    if (holdersHead < holders.length) slowTimer = clock.setTimeout(releaseSlow, Math.max(1, sentAt[holders[holdersHead]!]! + slowAfterMs - now));
  };

  /** Sends while slots are free, at most a batch before yielding to I/O; queues for a slot when none is. */
  const pump = () => {
    pumpScheduled = false;
    let sent = 0;
    while (!finished && next < live.length) {
      if (sent >= FANOUT_SEND_BATCH) {
        pumpScheduled = true;
        return yieldToIo(pump);
      }
      if (!limiter.tryAcquire()) {
        cancelWait = limiter.wait(granted);
        return;
      }
      send();
      sent++;
    }
  };

  /** A slot released for this run (it waits with one waiter at a time, so runs take turns). */
  const granted = () => {
    cancelWait = undefined;
    if (finished || next >= live.length) return limiter.release();
    send();
    if (finished || next >= live.length) return;
    // Slots full (the usual case): queue again at once, behind the other runs; a slot free: the pump takes it after I/O.
    if (limiter.inUse >= limiter.max) cancelWait = limiter.wait(granted);
    else if (!pumpScheduled) {
      pumpScheduled = true;
      yieldToIo(pump);
    }
  };

  if (run.signal?.aborted) onCallerAbort();
  else run.signal?.addEventListener("abort", onCallerAbort, { once: true });
  for (let i = 0; i < targets.length && !finished; i++) {
    const target = targets[i]!;
    if (target.pipe === undefined) settle(i, entries.error(target.name, new ClientOfflineError(target.name, target.lastSeenMs)), false);
    else live.push(i);
  }
  if (targets.length === 0 && !finished) finish();
  pump();
  return done;
}
