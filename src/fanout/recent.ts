/**
 * The clients seen recently but not connected now, for `?include=offline`:
 * the most recently disconnected ones (bounded), each with its labels and
 * when it left. A client that connects again leaves the list.
 */
import type { Labels } from "../labels/index.ts";
import type { PipeRegistry } from "../pipe/index.ts";

/** How many disconnected clients are remembered by default (as many as the per-CN metrics keep). */
export const DEFAULT_RECENT_CAPACITY = 1000;

/** One remembered client. */
export interface RecentClient {
  readonly name: string;
  readonly labels: Labels;
  /** Epoch ms. */
  readonly lastSeenMs: number;
}

/** A bounded, insertion-ordered memory of disconnected clients. */
export class RecentClients {
  readonly #clients = new Map<string, RecentClient>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(capacity = DEFAULT_RECENT_CAPACITY, now: () => number = Date.now) {
    this.#capacity = capacity;
    this.#now = now;
  }

  /** Follows `registry`: a pipe that ends (and is not replaced) is remembered; a new pipe is forgotten. Returns the unsubscribe function. */
  watch(registry: PipeRegistry): () => void {
    return registry.subscribe((change) => {
      const { name, labels } = change.pipe.peer;
      if (change.kind === "added") this.#clients.delete(name);
      else if (registry.get(name) === undefined) this.remember(name, labels ?? {});
    });
  }

  /** Remembers `name` as just disconnected, dropping the oldest past the capacity. */
  remember(name: string, labels: Labels): void {
    this.#clients.delete(name);
    this.#clients.set(name, { name, labels, lastSeenMs: this.#now() });
    if (this.#clients.size > this.#capacity) this.#clients.delete(this.#clients.keys().next().value!);
  }

  /** The remembered client named `name`. */
  get(name: string): RecentClient | undefined {
    return this.#clients.get(name);
  }

  /** Every remembered client, oldest first. */
  all(): IterableIterator<RecentClient> {
    return this.#clients.values();
  }

  /** How many are remembered. */
  get size(): number {
    return this.#clients.size;
  }
}
