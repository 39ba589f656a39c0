/**
 * The client's dial loop: connect, run a pipe until it closes, wait, connect
 * again, forever. The first retry after a lost pipe comes quickly; a pipe
 * that stayed up for STABLE_AFTER_MS resets the backoff, so that a server
 * that accepts and drops at once cannot cause a reconnect storm; a server
 * that said "go away, retry after N ms" (GoAway) is not dialled before that.
 */
import type { Logger } from "../log/index.ts";
import { systemClock, type Clock, type Pipe, type Transport } from "../pipe/index.ts";
import { backoff, goAwayDelay } from "./backoff.ts";
import type { ClientStatus } from "../ops/index.ts";

/** A pipe that lived this long resets the backoff. */
export const STABLE_AFTER_MS = 2_000;

/** What the loop reports besides status changes. */
export interface DialEvents {
  /** A connection was established after `retries` failed attempts. */
  connected?(info: { retries: number; disconnectedSince: number | undefined }): void;
  /** An attempt failed. */
  failed?(info: { retries: number; disconnectedSince: number | undefined; reason: string }): void;
}

/** What the loop needs. */
export interface DialLoopOptions extends DialEvents {
  /** Connects and completes the TLS handshake (rejects on failure). */
  readonly dial: () => Promise<Transport>;
  /** Wraps a fresh transport in a pipe (and registers it). */
  readonly open: (transport: Transport) => Promise<Pipe>;
  readonly baseMs: number;
  readonly capMs: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly onStatus?: (status: ClientStatus) => void;
}

/** A running dial loop. */
export interface DialLoop {
  readonly status: ClientStatus;
  /** Connections lost since the loop started. */
  readonly reconnects: number;
  /** The server asked us to come back no sooner than `retryAfterMs` (GoAway). */
  goAway(retryAfterMs: number): void;
  /** Stops dialing; the current pipe stays up (the caller drains and closes it). */
  stop(): void;
}

/** Starts dialing at once. */
export function startDialLoop(options: DialLoopOptions): DialLoop {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { log } = options;
  let status: ClientStatus = { state: "connecting", attempt: 0 };
  let attempt = 0; // drives the backoff; reset only by a stable pipe
  let failures = 0; // failed attempts since the last success
  let reconnects = 0;
  let stopped = false;
  let timer: unknown;
  let notBeforeMs = 0; // from a GoAway
  let disconnectedSince: number | undefined;

  const setStatus = (next: ClientStatus) => {
    status = next;
    options.onStatus?.(next);
  };

  const schedule = (reason: string) => {
    if (stopped) return;
    const delayMs = Math.max(notBeforeMs, backoff(attempt, { baseMs: options.baseMs, capMs: options.capMs, random }));
    notBeforeMs = 0;
    attempt++;
    setStatus({ state: "reconnecting", attempt, delayMs, reason });
    timer = clock.setTimeout(() => void connect(), delayMs);
  };

  const connect = async () => {
    if (stopped) return;
    setStatus({ state: "connecting", attempt });
    const fail = (reason: string) => {
      log.warn("cannot connect to the server", { attempt, reason });
      options.failed?.({ retries: failures++, disconnectedSince, reason });
      schedule(reason);
    };
    let transport: Transport;
    try {
      transport = await options.dial();
    } catch (error) {
      return fail((error as Error).message);
    }
    if (stopped) return transport.close();
    const pipe = await options.open(transport);
    // Connected means the server answered: a TLS 1.3 refusal looks like a good handshake, then a close.
    if (!(await pipe.ready)) return fail(closeReason(pipe, await pipe.closed));
    const openedAt = clock.now();
    setStatus({ state: "connected", server: pipe.peer.name, since: Date.now() });
    log.info("connected to the server", {
      server: pipe.peer.name,
      remote: transport.peer.remoteAddress,
      retries: failures,
      downMs: disconnectedSince === undefined ? undefined : Date.now() - disconnectedSince,
    });
    options.connected?.({ retries: failures, disconnectedSince });
    failures = 0;
    const error = await pipe.closed;
    if (stopped) return;
    reconnects++;
    disconnectedSince = Date.now();
    const reason = closeReason(pipe, error);
    if (clock.now() - openedAt >= STABLE_AFTER_MS) attempt = 0;
    setStatus({ state: "disconnected", reason, since: disconnectedSince });
    log.warn("lost the pipe to the server", { reason });
    schedule(reason);
  };

  void connect();
  return {
    get status() {
      return status;
    },
    get reconnects() {
      return reconnects;
    },
    goAway(retryAfterMs) {
      notBeforeMs = goAwayDelay(retryAfterMs, random);
      log.info("the server asked us to reconnect later", { retryAfterMs, delayMs: notBeforeMs });
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      setStatus({ state: "closed" });
    },
  };
}

/** Why a pipe ended, with a hint when the server closed before saying anything (TLS 1.3 rejections look like that). */
function closeReason(pipe: Pipe, error: Error | undefined): string {
  const base = error?.message ?? "closed";
  if (pipe.stats.bytesIn === 0) return `closed by the server before the first reply: certificate rejected? (${base})`;
  return base;
}
