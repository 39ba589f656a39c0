/**
 * The requests this side sent and is waiting on, by message id: each settles
 * exactly once, with the reply, its deadline, its caller's abort, or the
 * pipe's end. Ids are u32, wrap around, and skip ids still pending.
 */
import type { IncomingReply as EventReply } from "./pipe-types.ts";
import type { Clock, TimerHandle } from "./clock.ts";
import { RequestAbortedError, RequestTimeoutError } from "./errors.ts";

interface Pending {
  resolve(reply: EventReply): void;
  reject(error: Error): void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** The pending-request table of one pipe. */
export class PendingRequests {
  readonly #entries = new Map<number, Pending>();
  #nextId = 1;

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
    const entry: Pending = { resolve, reject, timer: undefined, signal, onAbort: undefined };
    if (deadlineMs !== undefined && deadlineMs > 0) {
      const timeout = () => this.settle(id, new RequestTimeoutError(deadlineMs, this.peerName));
      entry.timer = this.clock.setTimeout(timeout, deadlineMs);
    }
    if (signal) {
      entry.onAbort = () => this.settle(id, new RequestAbortedError(this.peerName, { cause: signal.reason }));
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    this.#entries.set(id, entry);
    return promise;
  }

  /** Settles `id` once; false when it was not pending (unknown, or already settled). */
  settle(id: number, outcome: EventReply | Error): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener("abort", entry.onAbort);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    this.settled();
    return true;
  }

  /** Rejects everything pending with `error`. */
  rejectAll(error: Error): void {
    for (const id of [...this.#entries.keys()]) this.settle(id, error);
  }
}
