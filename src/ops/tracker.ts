/**
 * Who connected when: the time each pipe joined, and a ring buffer of the
 * most recent connect and disconnect events, for the status page and
 * `rp-server clients`.
 */
import type { Pipe } from "../pipe/index.ts";

/** One connect or disconnect, as the status page lists it. */
export interface ConnectionEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: "connected" | "disconnected";
  /** The peer's name (client CN on the server, server CN on the client). */
  readonly name: string;
  readonly remote: string;
  /** Why a pipe ended (heartbeat timeout, replaced by a newer session, closed by the peer, ...). */
  readonly reason?: string;
}

/** Default number of events kept. */
export const DEFAULT_EVENT_CAPACITY = 100;

/** Records pipe arrivals and departures; feed it from the registry (see watchPipes). */
export class ConnectionTracker {
  readonly #since = new WeakMap<Pipe, number>();
  readonly #events: ConnectionEvent[] = [];
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(capacity = DEFAULT_EVENT_CAPACITY, now: () => number = Date.now) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Cannot keep ${capacity} events: the capacity must be a whole number >= 1`);
    this.#capacity = capacity;
    this.#now = now;
  }

  /** A pipe joined. */
  pipeOpened(pipe: Pipe): void {
    const at = this.#now();
    this.#since.set(pipe, at);
    this.#push({ at, kind: "connected", name: pipe.peer.name, remote: pipe.peer.remoteAddress });
  }

  /** A pipe left; its close error (if any) is the reason. */
  pipeClosed(pipe: Pipe): void {
    const error = pipe.status.state === "closed" ? pipe.status.error : undefined;
    this.#push({ at: this.#now(), kind: "disconnected", name: pipe.peer.name, remote: pipe.peer.remoteAddress, reason: error?.message ?? "closed" });
  }

  /** When `pipe` joined (epoch ms), if it was seen joining. */
  since(pipe: Pipe): number | undefined {
    return this.#since.get(pipe);
  }

  /** The kept events, newest first. */
  events(): ConnectionEvent[] {
    return this.#events.slice().reverse();
  }

  #push(event: ConnectionEvent): void {
    this.#events.push(event);
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
  }
}
