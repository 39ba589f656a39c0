/**
 * Pipes by peer name, with waiting: a request for a name that is not
 * connected (yet, or again) waits up to a bounded time for it instead of
 * failing at once. A new pipe under a name replaces the old one at once
 * (stale-session takeover): the old pipe is closed and its pending requests
 * fail, never an "already connected" lockout.
 */
import { systemClock, type Clock } from "./clock.ts";
import { PipeError } from "./errors.ts";
import type { Pipe } from "./pipe.ts";

/** No pipe to that name arrived within the wait. */
export class NotConnectedError extends PipeError {
  override name = "NotConnectedError";
  constructor(
    readonly peerName: string,
    readonly waitedMs: number,
  ) {
    super(`Cannot reach "${peerName}": not connected (waited ${Math.round(waitedMs / 100) / 10} s)`);
  }
}

/** The old pipe was replaced by a newer connection under the same name. */
export class ReplacedError extends PipeError {
  override name = "ReplacedError";
  constructor(peerName: string) {
    super(`replaced by a newer connection from "${peerName}"`);
  }
}

interface Waiter {
  resolve(pipe: Pipe): void;
}

/** What changed in the registry. */
export type RegistryChange =
  | { readonly kind: "added"; readonly pipe: Pipe; readonly replaced: Pipe | undefined }
  | { readonly kind: "removed"; readonly pipe: Pipe };

/** Pipes keyed by exact peer name (no case folding). */
export class PipeRegistry {
  readonly #pipes = new Map<string, Pipe>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #clock: Clock;
  readonly #listeners = new Set<(change: RegistryChange) => void>();

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** Number of connected pipes. */
  get size(): number {
    return this.#pipes.size;
  }

  /** The connected pipes. */
  pipes(): IterableIterator<Pipe> {
    return this.#pipes.values();
  }

  /** The pipe to `name`, if connected and usable now. */
  get(name: string): Pipe | undefined {
    const pipe = this.#pipes.get(name);
    return pipe && usable(pipe) ? pipe : undefined;
  }

  /** Subscribes to additions and removals; returns the unsubscribe function. */
  subscribe(listener: (change: RegistryChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Registers `pipe` under `name` (default: its peer name), replacing (and closing) any older pipe there. */
  add(pipe: Pipe, name: string = pipe.peer.name): void {
    const old = this.#pipes.get(name);
    this.#pipes.set(name, pipe);
    void pipe.closed.then(() => this.remove(pipe, name));
    if (old && old !== pipe) old.close(new ReplacedError(name));
    this.#emit({ kind: "added", pipe, replaced: old });
    const waiters = this.#waiters.get(name);
    if (waiters && usable(pipe)) {
      this.#waiters.delete(name);
      for (const waiter of waiters) waiter.resolve(pipe);
    }
  }

  /** Removes `pipe` if it is still the one registered under `name`. */
  remove(pipe: Pipe, name: string = pipe.peer.name): void {
    if (this.#pipes.get(name) !== pipe) return;
    this.#pipes.delete(name);
    this.#emit({ kind: "removed", pipe });
  }

  /** Resolves with the pipe to `name`, waiting up to `waitMs` for it; rejects with NotConnectedError. */
  acquire(name: string, waitMs: number, signal?: AbortSignal): Promise<Pipe> {
    const now = this.get(name);
    if (now) return Promise.resolve(now);
    if (waitMs <= 0 || signal?.aborted) return Promise.reject(new NotConnectedError(name, 0));
    return new Promise((resolve, reject) => {
      const started = this.#clock.now();
      const waiters = this.#waiters.get(name) ?? new Set<Waiter>();
      this.#waiters.set(name, waiters);
      const done = () => {
        this.#clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.#waiters.get(name) === waiters) this.#waiters.delete(name);
      };
      const waiter: Waiter = {
        resolve: (pipe) => {
          done();
          resolve(pipe);
        },
      };
      const giveUp = (waitedMs: number) => {
        done();
        reject(new NotConnectedError(name, waitedMs));
      };
      // The configured wait, not the measured one: a late timer on a busy machine must not change the message.
      const onAbort = () => giveUp(this.#clock.now() - started);
      const timer = this.#clock.setTimeout(() => giveUp(waitMs), waitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      waiters.add(waiter);
    });
  }

  /** Requests waiting for a name to connect. */
  get waiting(): number {
    let count = 0;
    for (const set of this.#waiters.values()) count += set.size;
    return count;
  }

  #emit(change: RegistryChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

function usable(pipe: Pipe): boolean {
  return pipe.status.state === "open" && !pipe.peerDraining;
}
