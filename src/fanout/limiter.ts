/**
 * The fan-out concurrency cap: requests of all fan-outs together hold at
 * most `max` slots at once, so that a fan-out to 10,000 clients does not
 * crowd out single requests (which never take a slot). Waiters are served
 * in arrival order; an aborted waiter leaves the queue.
 */

interface Waiter {
  grant: (() => void) | undefined;
}

/** A counting semaphore with a FIFO queue. */
export class FanoutLimiter {
  readonly max: number;
  #inUse = 0;
  #queue: Waiter[] = [];
  #head = 0;

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
      const waiter: Waiter = { grant: undefined };
      const onAbort = () => {
        waiter.grant = undefined;
        reject(signal!.reason);
      };
      waiter.grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(this.#releaser());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
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
