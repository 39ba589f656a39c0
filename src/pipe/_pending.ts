/**
 * The requests this side sent and is waiting on, by message id: each settles
 * exactly once, with the reply, its deadline, its caller's abort, or the
 * pipe's end. Ids are u32, wrap around, and skip ids still pending.
 *
 * Deadlines are kept by one sweep timer per pipe, armed for the earliest
 * deadline, not by a timer per request: requests of one front share one
 * deadline length, so a new request's deadline is never the earliest and
 * costs no timer call at all (the profile showed setTimeout and clearTimeout
 * on every request). An entry is its own abort listener (`handleEvent`: no
 * closure per request); it is removed on settlement, since a caller may pass
 * one long-lived signal to many requests.
 */
import type { IncomingReply as EventReply, ReplySink } from "./pipe-types.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { RequestAbortedError, RequestTimeoutError } from "./errors.ts";

/** One request waiting for its reply; it listens to its caller's signal itself. */
class Pending {
  constructor(
    readonly table: PendingRequests,
    readonly id: number,
    readonly resolve: (reply: EventReply) => void,
    readonly reject: (error: Error) => void,
    /** When its deadline passes (clock time), or Infinity. */
    readonly deadlineAt: number,
    readonly deadlineMs: number,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** The caller's signal aborted (EventListenerObject: no closure per request). */
  handleEvent(): void {
    this.table.aborted(this);
  }
}

/**
 * One request whose outcome goes to a sink under a token (`trackFor`): no
 * promise, no closure and no abort listener per request (a fan-out aborts
 * its requests by id).
 */
class SinkPending {
  readonly signal: undefined = undefined;
  constructor(
    readonly id: number,
    readonly sink: ReplySink,
    readonly token: number,
    readonly deadlineAt: number,
    readonly deadlineMs: number,
  ) {}

  resolve(reply: EventReply): void {
    this.sink.replied(this.token, reply);
  }

  reject(error: Error): void {
    this.sink.failed(this.token, error);
  }
}

/** The pending-request table of one pipe. */
export class PendingRequests {
  readonly #entries = new Map<number, Pending | SinkPending>();
  #nextId = 1;
  #sweepTimer: TimerHandle | undefined;
  /** When the armed sweep fires (clock time), Infinity when none is armed. */
  #sweepAt = Infinity;

  constructor(
    readonly clock: Clock,
    readonly peerName: string,
    /** Called after every settlement (the pipe wakes its idle waiters). */
    readonly settled: () => void,
  ) {}

  /** Requests waiting for a reply. */
  get size(): number {
    return this.#entries.size;
  }

  /** True while `id` waits for its reply. */
  has(id: number): boolean {
    return this.#entries.has(id);
  }

  /** A fresh id, not pending now. */
  allocate(): number {
    let id = this.#nextId;
    while (this.#entries.has(id)) id = (id % 0xffff_ffff) + 1;
    this.#nextId = (id % 0xffff_ffff) + 1;
    return id;
  }

  /** Waits for the reply to `id`, rejecting at `deadlineMs` or when `signal` aborts. */
  track(id: number, deadlineMs: number | undefined, signal: AbortSignal | undefined): Promise<EventReply> {
    const { promise, resolve, reject } = Promise.withResolvers<EventReply>();
    const timed = deadlineMs !== undefined && deadlineMs > 0;
    const deadlineAt = timed ? this.clock.now() + deadlineMs : Infinity;
    const entry = new Pending(this, id, resolve, reject, deadlineAt, timed ? deadlineMs : 0, signal);
    this.#entries.set(id, entry);
    // No `{ once: true }`: settle removes the listener anyway, and an options object cost 260 ns more per request.
    if (signal) signal.addEventListener("abort", entry);
    if (deadlineAt < this.#sweepAt) this.#arm(deadlineAt);
    return promise;
  }

  /** Like `track`, but the outcome goes to `sink` under `token` (see SinkPending); the caller aborts it by settling `id`. */
  trackFor(id: number, deadlineMs: number | undefined, sink: ReplySink, token: number): void {
    const timed = deadlineMs !== undefined && deadlineMs > 0;
    const deadlineAt = timed ? this.clock.now() + deadlineMs : Infinity;
    this.#entries.set(id, new SinkPending(id, sink, token, deadlineAt, timed ? deadlineMs : 0));
    if (deadlineAt < this.#sweepAt) this.#arm(deadlineAt);
  }

  /** Settles `id` once; false when it was not pending (unknown, or already settled). */
  settle(id: number, outcome: EventReply | Error): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    entry.signal?.removeEventListener("abort", entry);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    this.settled();
    return true;
  }

  /** Rejects everything pending with `error`, and stops the sweep. */
  rejectAll(error: Error): void {
    for (const id of [...this.#entries.keys()]) this.settle(id, error);
    this.#disarm();
  }

  /** `entry`'s caller gave up (its listener runs once, while it is pending). */
  aborted(entry: Pending): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.settle(entry.id, new RequestAbortedError(this.peerName, { cause: entry.signal?.reason }));
  }

  #arm(at: number): void {
    if (this.#sweepTimer !== undefined) this.clock.clearTimeout(this.#sweepTimer);
    this.#sweepAt = at;
    this.#sweepTimer = this.clock.setTimeout(this.#sweep, Math.max(0, at - this.clock.now()));
  }

  #disarm(): void {
    if (this.#sweepTimer !== undefined) this.clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
  }

  /** Times out every request whose deadline has passed, then arms for the earliest one left. */
  #sweep = (): void => {
    this.#sweepTimer = undefined;
    this.#sweepAt = Infinity;
    const now = this.clock.now();
    const expired: Array<Pending | SinkPending> = [];
    let next = Infinity;
    for (const entry of this.#entries.values()) {
      if (entry.deadlineAt <= now) expired.push(entry);
      else if (entry.deadlineAt < next) next = entry.deadlineAt;
    }
    for (const entry of expired) this.settle(entry.id, new RequestTimeoutError(entry.deadlineMs, this.peerName));
    if (next < this.#sweepAt) this.#arm(next);
  };
}
