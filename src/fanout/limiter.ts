/**
 * The fan-out concurrency cap: requests of all fan-outs together hold at
 * most `max` slots at once, so that a fan-out to 10,000 clients does not
 * crowd out single requests (which never take a slot). Waiters are served
 * in arrival order; an aborted waiter leaves the queue. A run waits with
 * one waiter at a time (`wait`) rather than one promise per target, and
 * queues again after each grant: runs in progress take turns slot by slot.
 */

interface Waiter {
  grant: (() => void) | undefined;
  /** The signal it waits under, while it waits. */
  signal: AbortSignal | undefined;
  reject: (reason: unknown) => void;
}

/** How the cap treats requests that take long. */
export interface FanoutLimiterOptions {
  /** A request unanswered this long gives its slot back (it stays in flight); 0: it holds its slot until it ends. Default FANOUT_SLOW_MS. */
  readonly slowMs?: number;
}

/**
 * A request unanswered this long gives its slot of the cap back by default
 * (RP_SERVER_FANOUT_SLOW_S). Replies of a 1,000-client fan-out on a busy
 * 2-core machine come within tens of ms; a request still out after this
 * waits on a silent or slow client and costs the server nothing.
 */
export const FANOUT_SLOW_MS = 200;

/** Requests that gave their slot back but are still out (slow) stay at most this many times the cap: the cap still bounds what is in flight. */
export const SLOW_CEILING = 8;

/** A counting semaphore with a FIFO queue. */
export class FanoutLimiter {
  readonly max: number;
  /** See FanoutLimiterOptions.slowMs (the runner applies it). */
  readonly slowMs: number;
  #inUse = 0;
  #slowOut = 0;
  #queue: Waiter[] = [];
  #head = 0;
  /** Waiters in the queue that still wait (granted, aborted and cancelled ones are skipped). */
  #live = 0;
  /**
   * Queued waiters by signal, with one abort listener per signal: a fan-out
   * queues thousands of waiters under one signal, and a listener each would
   * make every grant's removeEventListener scan them all (quadratic).
   */
  readonly #bySignal = new Map<AbortSignal, { readonly waiters: Set<Waiter>; readonly onAbort: () => void }>();

  constructor(max: number, options: FanoutLimiterOptions = {}) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`Cannot limit fan-outs to ${max} requests at once: use a whole number >= 1`);
    this.max = max;
    this.slowMs = options.slowMs ?? FANOUT_SLOW_MS;
  }

  /** Slots held now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Waiters in the queue. */
  get waiting(): number {
    return this.#live;
  }

  /** Takes a slot now if one is free and nobody waits for one (no queue jumping); give it back with release(). */
  tryAcquire(): boolean {
    if (this.#inUse >= this.max || this.#live > 0) return false;
    this.#inUse++;
    return true;
  }

  /** Gives back a slot taken with tryAcquire() or handed to a `wait` grant. */
  release(): void {
    this.#inUse--;
    this.#next();
  }

  /** A slow request gives its slot back and stays in flight; false (it keeps the slot) when SLOW_CEILING × max already did. */
  releaseSlow(): boolean {
    if (this.#slowOut >= SLOW_CEILING * this.max) return false;
    this.#slowOut++;
    this.release();
    return true;
  }

  /** A request that gave its slot back with releaseSlow() ended. */
  slowEnded(): void {
    this.#slowOut--;
  }

  /** Requests out that gave their slot back (see releaseSlow). */
  get slowOut(): number {
    return this.#slowOut;
  }

  /**
   * Queues `grant`, called once (with a slot the callee then holds, to give
   * back with release()) when a slot is released for it. Slots are handed out
   * only as they are released: call tryAcquire() first. Returns the cancel.
   */
  wait(grant: () => void): () => void {
    const waiter: Waiter = { grant: undefined, signal: undefined, reject: () => {} };
    waiter.grant = grant;
    this.#queue.push(waiter);
    this.#live++;
    this.#unstick();
    return () => {
      if (waiter.grant === undefined) return;
      waiter.grant = undefined;
      this.#live--;
    };
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if it fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#inUse < this.max && this.#live === 0) {
      this.#inUse++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: undefined, signal, reject };
      waiter.grant = () => {
        this.#forget(waiter);
        resolve(this.#releaser());
      };
      if (signal) this.#group(signal).waiters.add(waiter);
      this.#queue.push(waiter);
      this.#live++;
      this.#unstick();
    });
  }

  /**
   * A waiter queued while a slot is free (not done by the runner, which
   * queues only when every slot is held) would otherwise wait for a release
   * that may never come: hand out free slots soon (not within the caller's call).
   */
  #unstick(): void {
    if (this.#inUse < this.max) queueMicrotask(() => this.#next());
  }

  #group(signal: AbortSignal): { readonly waiters: Set<Waiter>; readonly onAbort: () => void } {
    let group = this.#bySignal.get(signal);
    if (group === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const waiter of waiters) {
          if (waiter.grant !== undefined) this.#live--;
          waiter.grant = undefined;
          waiter.signal = undefined;
          waiter.reject(signal.reason);
        }
      };
      group = { waiters, onAbort };
      this.#bySignal.set(signal, group);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    return group;
  }

  #forget(waiter: Waiter): void {
    const signal = waiter.signal;
    if (signal === undefined) return;
    waiter.signal = undefined;
    const group = this.#bySignal.get(signal);
    if (group === undefined) return;
    group.waiters.delete(waiter);
    if (group.waiters.size === 0) {
      signal.removeEventListener("abort", group.onAbort);
      this.#bySignal.delete(signal);
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#head < this.#queue.length && this.#inUse < this.max) {
      const waiter = this.#queue[this.#head++]!;
      const grant = waiter.grant;
      if (!grant) continue;
      waiter.grant = undefined;
      this.#live--;
      this.#inUse++;
      grant();
    }
    // Drop the served part now and then, so the queue's memory follows its length.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
