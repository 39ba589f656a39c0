/**
 * The fan-out concurrency cap: requests of all fan-outs together hold at
 * most `max` slots at once, so that a fan-out to 10,000 clients does not
 * crowd out single requests (which never take a slot). Waiters are served
 * in arrival order; an aborted waiter leaves the queue.
 */

interface Waiter {
  grant: (() => void) | undefined;
  /** The signal it waits under, while it waits. */
  signal: AbortSignal | undefined;
  reject: (reason: unknown) => void;
}

/** A counting semaphore with a FIFO queue. */
export class FanoutLimiter {
  readonly max: number;
  #inUse = 0;
  #queue: Waiter[] = [];
  #head = 0;
  /**
   * Queued waiters by signal, with one abort listener per signal: a fan-out
   * queues thousands of waiters under one signal, and a listener each would
   * make every grant's removeEventListener scan them all (quadratic).
   */
  readonly #bySignal = new Map<AbortSignal, { readonly waiters: Set<Waiter>; readonly onAbort: () => void }>();

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`Cannot limit fan-outs to ${max} requests at once: use a whole number >= 1`);
    this.max = max;
  }

  /** Slots held now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Waiters in the queue. */
  get waiting(): number {
    let count = 0;
    for (let i = this.#head; i < this.#queue.length; i++) if (this.#queue[i]!.grant) count++;
    return count;
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if it fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#inUse < this.max) {
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
    });
  }

  #group(signal: AbortSignal): { readonly waiters: Set<Waiter>; readonly onAbort: () => void } {
    let group = this.#bySignal.get(signal);
    if (group === undefined) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const waiter of waiters) {
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
