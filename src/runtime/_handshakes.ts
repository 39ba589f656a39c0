/**
 * Pending TLS handshakes on a listener, counted and timed the same way by
 * every adapter: a connection past the limit is cut at once, one that has not
 * finished its handshake in time is cut then (slowloris on the pipe port).
 */
import type { RefusedConnection } from "./tls-types.ts";

/** One connection in its handshake. */
export interface PendingHandshake {
  /** The handshake ended (done, failed or the socket closed): true the first time only. */
  settle(): boolean;
}

/** Limits of a handshake gate. */
export interface HandshakeLimits {
  readonly timeoutMs: number;
  readonly maxPending: number;
  readonly onRefused: (refused: RefusedConnection) => void;
}

/** Counts the handshakes in progress on one listener. */
export class HandshakeGate {
  #pending = 0;

  constructor(readonly limits: HandshakeLimits) {}

  /** Connections in their handshake right now. */
  get pending(): number {
    return this.#pending;
  }

  /** A TCP connection arrived: its pending handshake, or undefined when it was refused and `cut` (over the limit). */
  admit(remoteAddress: string, cut: () => void): PendingHandshake | undefined {
    const { timeoutMs, maxPending, onRefused } = this.limits;
    if (this.#pending >= maxPending) {
      onRefused({ remoteAddress, reason: `${this.#pending} handshakes already pending (the limit)` });
      cut();
      return undefined;
    }
    this.#pending++;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      this.#pending--;
      return true;
    };
    const timer = setTimeout(() => {
      if (!settle()) return;
      onRefused({ remoteAddress, reason: `no TLS handshake within ${timeoutMs} ms` });
      cut();
    }, timeoutMs);
    return { settle };
  }
}
