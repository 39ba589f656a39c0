/**
 * Runs one fan-out: the same event to every target, each through the
 * concurrency cap, each with what is left of one shared deadline. Every
 * target gets exactly one entry: its reply, its error, or 504 when the
 * deadline passes first (then its request is aborted, so the handler's
 * `ctx.signal` fires on the client). The result resolves at the deadline at
 * the latest, however many clients are slow.
 */
import { RequestAbortedError, RequestTimeoutError, type Clock, type OutboundEvent, type Pipe } from "../pipe/index.ts";
import type { EventReply } from "../wire/index.ts";
import { ClientOfflineError } from "./errors.ts";
import type { FanoutLimiter } from "./limiter.ts";
import type { FanoutEntry, FanoutSummary } from "./result.ts";

/** What a fan-out sends through: a Pipe here; a fleet can hand in a forwarder to a client on another server. */
export type FanoutPeer = Pick<Pipe, "request">;

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
}

/** The outcome of a run. */
export interface FanoutResult extends FanoutSummary {
  readonly results: ReadonlyMap<string, FanoutEntry>;
}

/** Asks every target; resolves once each has its entry (by the deadline at the latest). */
export function runFanout(targets: readonly FanoutTarget[], run: FanoutRun): Promise<FanoutResult> {
  const { clock, timeoutMs, entries } = run;
  const results = new Map<string, FanoutEntry>();
  const controller = new AbortController();
  // One controller per request in flight rather than the shared signal: thousands of listeners on one signal make each removal a scan.
  const inFlight = new Set<AbortController>();
  const started = clock.now();
  let answered = 0;
  let finished = false;
  let resolve!: (result: FanoutResult) => void;
  const done = new Promise<FanoutResult>((r) => (resolve = r));

  const settle = (name: string, entry: FanoutEntry, replied: boolean) => {
    if (finished || results.has(name)) return;
    results.set(name, entry);
    if (replied) answered++;
    run.onEntry?.(name, entry);
    if (results.size === targets.length) finish();
  };
  const settleRest = (error: (name: string) => Error) => {
    for (const target of targets) if (!results.has(target.name)) settle(target.name, entries.error(target.name, error(target.name)), false);
  };
  const onCallerAbort = () => settleRest((name) => new RequestAbortedError(name));
  const timer = clock.setTimeout(() => settleRest((name) => new RequestTimeoutError(timeoutMs, name)), timeoutMs);
  const finish = () => {
    finished = true;
    clock.clearTimeout(timer);
    run.signal?.removeEventListener("abort", onCallerAbort);
    controller.abort(); // requests still queued or in flight end now (their entries are set)
    for (const request of inFlight) request.abort();
    inFlight.clear();
    resolve({ matched: targets.length, answered, results });
  };

  const ask = async (name: string, pipe: FanoutPeer) => {
    let release: (() => void) | undefined;
    try {
      release = await run.limiter.acquire(controller.signal);
      const leftMs = timeoutMs - (clock.now() - started);
      if (leftMs <= 0 || controller.signal.aborted) return; // the deadline's timer (or the end of the run) has set the entry
      const own = new AbortController();
      inFlight.add(own);
      const reply = await pipe.request(run.event, { deadlineMs: Math.ceil(leftMs), signal: own.signal }).finally(() => inFlight.delete(own));
      settle(name, entries.reply(name, reply), true);
    } catch (error) {
      // The pipe's own timer for what was left of the deadline: reported as the fan-out's deadline, like the others.
      const reported = error instanceof RequestTimeoutError ? new RequestTimeoutError(timeoutMs, name) : error;
      if (!controller.signal.aborted) settle(name, entries.error(name, reported), false);
    } finally {
      release?.();
    }
  };

  if (run.signal?.aborted) onCallerAbort();
  else run.signal?.addEventListener("abort", onCallerAbort, { once: true });
  for (const target of targets) {
    if (finished) break;
    if (target.pipe === undefined) settle(target.name, entries.error(target.name, new ClientOfflineError(target.name, target.lastSeenMs)), false);
    else void ask(target.name, target.pipe);
  }
  if (targets.length === 0 && !finished) finish();
  return done;
}
