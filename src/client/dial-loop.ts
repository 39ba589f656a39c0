/**
 * The client's dial loop: connect, run a pipe until it closes, wait a
 * backoff, connect again, forever. The first retry after a lost pipe comes
 * quickly; a pipe that stayed up for STABLE_AFTER_MS resets the backoff, so
 * a server that accepts and drops at once cannot cause a reconnect storm.
 */
import type { Logger } from "../log/index.ts";
import { systemClock, type Clock, type Pipe, type Transport } from "../pipe/index.ts";
import { backoff } from "./backoff.ts";
import type { ClientStatus } from "./status.ts";

/** A pipe that lived this long resets the backoff. */
export const STABLE_AFTER_MS = 2_000;

/** What the loop needs. */
export interface DialLoopOptions {
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
  /** Reconnect attempts made since the loop started. */
  readonly reconnects: number;
  /** Stops dialing; the current pipe stays up (the caller drains and closes it). */
  stop(): void;
}

/** Starts dialing at once. */
export function startDialLoop(options: DialLoopOptions): DialLoop {
  const clock = options.clock ?? systemClock;
  const { log } = options;
  let status: ClientStatus = { state: "connecting", attempt: 0 };
  let attempt = 0;
  let reconnects = 0;
  let stopped = false;
  let timer: unknown;

  const setStatus = (next: ClientStatus) => {
    status = next;
    options.onStatus?.(next);
  };

  const schedule = (reason: string, minDelayMs = 0) => {
    if (stopped) return;
    const delayMs = Math.max(minDelayMs, backoff(attempt, { baseMs: options.baseMs, capMs: options.capMs, ...(options.random ? { random: options.random } : {}) }));
    attempt++;
    setStatus({ state: "reconnecting", attempt, delayMs, reason });
    timer = clock.setTimeout(() => void connect(), delayMs);
  };

  const connect = async () => {
    if (stopped) return;
    setStatus({ state: "connecting", attempt });
    let transport: Transport;
    try {
      transport = await options.dial();
    } catch (error) {
      log.warn("cannot connect to the server", { attempt, reason: (error as Error).message });
      return schedule((error as Error).message);
    }
    if (stopped) return transport.close();
    const pipe = await options.open(transport);
    const openedAt = clock.now();
    setStatus({ state: "connected", server: pipe.peer.name, since: Date.now() });
    log.info("connected to the server", { server: pipe.peer.name, remote: transport.peer.remoteAddress, attempt });
    const error = await pipe.closed;
    if (stopped) return;
    reconnects++;
    const reason = closeReason(pipe, error);
    if (clock.now() - openedAt >= STABLE_AFTER_MS) attempt = 0;
    setStatus({ state: "disconnected", reason, since: Date.now() });
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
