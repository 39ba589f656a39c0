/**
 * Reconnect delays. Pure.
 *
 * Three phases, by attempt number (reset only by a pipe that stayed up):
 * - attempt 0: within `baseMs` (a blip costs almost nothing);
 * - attempts 1..QUICK_ATTEMPTS: every QUICK_RETRY_MS or a little sooner
 *   (uniform in [quick/2, quick]), so that a server restarted within a
 *   second or two is dialled at most QUICK_RETRY_MS after it listens again,
 *   so back in use within 0.5 s with the handshake (autossh: ~0.3 s);
 * - then capped exponential backoff with "equal jitter": uniform in
 *   [ceiling/2, ceiling], the ceiling doubling from quick up to `capMs`.
 *
 * The fleet's redial rate: N clients whose server stays down dial it N /
 * mean-delay times a second once past the quick phase; with the default cap
 * of 2.5 s (mean 1.875 s) 10,000 clients dial ~5,300 times a second, never
 * more than 8,000 (all at cap/2). The quick phase is short and bounded:
 * QUICK_ATTEMPTS dials per client within ~1.5-3.1 s (refused by the kernel
 * while the server is down); a server that comes back then meets its own
 * handshake gate (RP_SERVER_MAX_PENDING_HANDSHAKES), and the clients it turns
 * away move on to the slower phase, since a refusal never resets the backoff.
 */

/** Longest delay of the quick phase (never below the base, never above the cap). */
export const QUICK_RETRY_MS = 300;

/** Attempts of the quick phase, after the first retry. */
export const QUICK_ATTEMPTS = 10;

/**
 * Ceiling of the delay between rounds whose every dial failed at the HTTP
 * proxy (refused, closed or silent before answering CONNECT): the server was
 * never reached, so its backoff does not apply, and a proxy restarted is in
 * use again within this plus one dial through it (tinyproxy on a loaded
 * 2-core machine: up to ~0.35 s) instead of up to the cap. A dead proxy gets
 * N / 300 ms refused connections a second from N clients (mean of [200,
 * 400] ms): a local helper (cntlm, px) ~3, a proxy shared by 10,000 clients
 * ~33,000, each a SYN answered by a RST from its kernel; a proxy that
 * accepts and stays silent holds each dial for RP_CLIENT_CONNECT_TIMEOUT_S.
 */
export const PROXY_RETRY_CAP_MS = 400;

/** Backoff parameters, in ms. */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly capMs: number;
  /** Uniform random number in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/** Delay before reconnect attempt `attempt` (0 for the first retry after a lost pipe): see the phases above. */
export function backoff(attempt: number, options: BackoffOptions): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`Cannot compute backoff: attempt must be a whole number >= 0, got ${attempt}`);
  const random = options.random ?? Math.random;
  if (attempt === 0) return Math.floor(random() * Math.min(options.baseMs, options.capMs));
  const quick = Math.min(options.capMs, Math.max(options.baseMs, QUICK_RETRY_MS));
  const ceiling = Math.min(options.capMs, quick * 2 ** Math.min(Math.max(0, attempt - QUICK_ATTEMPTS), 52));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Delay after the server said "go away, retry after `retryAfterMs`" (GoAway):
 * at least that long, spread over [retryAfter, 2·retryAfter] so that a fleet
 * of clients does not come back in one burst.
 */
export function goAwayDelay(retryAfterMs: number, random: () => number = Math.random): number {
  return Math.floor(retryAfterMs * (1 + random()));
}
