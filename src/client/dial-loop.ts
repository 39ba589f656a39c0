/**
 * The client's dial loop: connect, run a pipe until it closes, wait, connect
 * again, forever. With several servers (a fleet) each round dials them in
 * turn (see DialPlan): a failure moves on to the next one at once, and only a
 * round in which every one failed is followed by a backoff. The first retry
 * after a lost pipe comes quickly, and goes to the next server; a pipe that
 * stayed up for STABLE_AFTER_MS resets the backoff, so that a server that
 * accepts and drops at once cannot cause a reconnect storm; a server that
 * said "go away, retry after N ms" (GoAway) is not dialled before that, while
 * the others are.
 */
import { formatTarget, type Target } from "../config/index.ts";
import { RepeatedFailures, type Logger } from "../log/index.ts";
import { systemClock, type Clock, type Pipe, type Transport } from "../pipe/index.ts";
import { TransportError } from "../runtime/index.ts";
import { backoff, goAwayDelay, PROXY_RETRY_CAP_MS } from "./backoff.ts";
import { dialLabel, DialPlan, type DialTarget } from "./dial-plan.ts";
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
  /** The servers, as configured (one or more). */
  readonly targets: readonly Target[];
  /** The addresses to dial for a target (default: the target itself); a rejection is that target's failure in this round. */
  readonly expand?: (target: Target) => Promise<readonly DialTarget[]>;
  /** Connects and completes the TLS handshake (rejects on failure). */
  readonly dial: (target: DialTarget) => Promise<Transport>;
  /** Wraps a fresh transport in a pipe (not registered yet: it may still be refused). */
  readonly open: (transport: Transport) => Promise<Pipe>;
  /**
   * The pipe is ready: the server sent its first frame, so it accepted us
   * (under TLS 1.3 a refused client sees a good handshake, then a close).
   * Register it here, and only here: requests waiting at the front must not
   * go out on a connection the server has not accepted.
   */
  readonly ready: (pipe: Pipe) => void;
  readonly baseMs: number;
  readonly capMs: number;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly onStatus?: (status: ClientStatus) => void;
  /** How the dial reaches a target when not directly (e.g. "proxy http://10.0.0.1:3128"), named in each attempt's log line. */
  readonly via?: (target: DialTarget) => string | undefined;
}

/** A running dial loop. */
export interface DialLoop {
  readonly status: ClientStatus;
  /** Connections lost since the loop started. */
  readonly reconnects: number;
  /** The server in use, or being dialled (`host:port`, with the address a name resolved to). */
  readonly target: string;
  /** The configured servers, in configured order. */
  readonly targets: readonly string[];
  /** The server in use asked us to come back no sooner than `retryAfterMs` (GoAway): the others are dialled meanwhile. */
  goAway(retryAfterMs: number): void;
  /** Stops dialing; the current pipe stays up (the caller drains and closes it). */
  stop(): void;
}

/** How one dial ended. */
type Outcome =
  | { readonly kind: "failed"; readonly reason: string; readonly proxyDown: boolean }
  | { readonly kind: "lost"; readonly reason: string }
  /** The server said GoAway and another one may be dialled: its pipe drains on its own. */
  | { readonly kind: "moved" }
  | { readonly kind: "stopped" };

/** Starts dialing at once. */
export function startDialLoop(options: DialLoopOptions): DialLoop {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { log } = options;
  const plan = new DialPlan(options.targets, random);
  const expand = options.expand ?? ((target: Target) => Promise.resolve([target]));
  const viaFields = (target: DialTarget) => {
    const via = options.via?.(target);
    return via === undefined ? {} : { via };
  };
  // Log lines name the server only when there are several (one server's lines stay as they always were).
  const targetField = (label: string) => (plan.targets.length > 1 ? { target: label } : {});
  // The first failure in full, then summaries at growing intervals: a server down for a day is not 86,000 lines.
  const failureLog = new RepeatedFailures(log, { first: "cannot connect to the server", summary: "still cannot connect to the server" }, () => clock.now());
  let status: ClientStatus = { state: "connecting", attempt: 0 };
  let attempt = 0; // drives the backoff, counted in rounds; reset only by a stable pipe
  let proxyRounds = 0; // rounds in a row that failed only at the proxy (their own pace; reset by reaching a server)
  let failures = 0; // failed attempts since the last success
  let reconnects = 0;
  let stopped = false;
  let timer: unknown;
  let current: DialTarget = plan.order()[0]!;
  let disconnectedSince: number | undefined;
  let lastLost: { readonly reason: string; readonly at: number } | undefined; // shown while connected again (rp-client status)
  let goAwayMs: number | undefined; // the pipe in use said GoAway: its server is held this long once the pipe closes
  let parked = false; // every server is held by a pipe still draining: the next round waits for its close
  let moveOn: (() => void) | undefined; // set while a pipe is up: leave it (it said GoAway) for the next server

  const setStatus = (next: ClientStatus) => {
    status = next;
    options.onStatus?.(next);
  };

  const schedule = (reason: string, pace: { proxyDown?: boolean; notBeforeMs?: number; now?: boolean } = {}) => {
    if (stopped) return;
    const held = pace.notBeforeMs === undefined ? 0 : pace.notBeforeMs - clock.now();
    // A round that dialled nothing (every server said GoAway) is no failure: it waits for the hold and does not count;
    // nor is leaving a draining server for the next one, at once.
    if (held === Number.POSITIVE_INFINITY) {
      // Only a draining server is left: its close schedules the next round (see dialOne's "moved").
      parked = true;
      return setStatus({ state: "reconnecting", attempt, delayMs: 0, reason: "waiting for the draining server to finish: no other server to go to" });
    }
    // Rounds that failed only at the proxy never reached the server: they have their own pace and leave its backoff
    // where it was, so a proxy that flaps does not push the client towards RP_CLIENT_RECONNECT_CAP_S.
    if (!pace.proxyDown) proxyRounds = 0;
    const delayMs = pace.now
      ? 0
      : held > 0
        ? held
        : pace.proxyDown
          ? backoff(proxyRounds++, { baseMs: options.baseMs, capMs: Math.min(options.capMs, PROXY_RETRY_CAP_MS), random })
          : backoff(attempt++, { baseMs: options.baseMs, capMs: options.capMs, random });
    setStatus({ state: "reconnecting", attempt: attempt + proxyRounds, delayMs, reason });
    timer = clock.setTimeout(() => void round(reason), delayMs);
  };

  const failed = (key: string, target: DialTarget, reason: string) => {
    failureLog.failed(key, reason, { attempt, ...targetField(key), ...viaFields(target) });
    options.failed?.({ retries: failures++, disconnectedSince, reason });
  };

  /** Dials one address; on success runs its pipe until it closes. */
  const dialOne = async (target: DialTarget, lastReason: string | undefined): Promise<Outcome> => {
    current = target;
    goAwayMs = undefined;
    const label = dialLabel(target);
    setStatus({ state: "connecting", attempt, ...(lastReason === undefined ? {} : { reason: lastReason }) });
    let transport: Transport;
    try {
      transport = await options.dial(target);
    } catch (error) {
      if (stopped) return { kind: "stopped" };
      const reason = (error as Error).message;
      failed(label, target, reason);
      return { kind: "failed", reason, proxyDown: error instanceof TransportError && error.proxyDown };
    }
    if (stopped) return transport.close(), { kind: "stopped" };
    const pipe = await options.open(transport);
    // Connected means the server answered: a TLS 1.3 refusal looks like a good handshake, then a close.
    if (!(await pipe.ready)) {
      const reason = closeReason(pipe, await pipe.closed);
      if (stopped) return { kind: "stopped" };
      failed(label, target, reason);
      return { kind: "failed", reason, proxyDown: false };
    }
    if (pipe.status.state !== "closed") options.ready(pipe);
    return runPipe(target, transport, pipe);
  };

  /** The pipe to `target` is up: reports it, and waits until it closes or its server sends the client elsewhere. */
  const runPipe = async (target: DialTarget, transport: Transport, pipe: Pipe): Promise<Outcome> => {
    const label = dialLabel(target);
    const openedAt = clock.now();
    setStatus({ state: "connected", server: pipe.peer.name, since: Date.now(), ...(lastLost ? { lastLost } : {}) });
    log.info("connected to the server", {
      server: pipe.peer.name,
      remote: transport.peer.remoteAddress,
      ...targetField(label),
      ...viaFields(target),
      retries: failures,
      downMs: disconnectedSince === undefined ? undefined : Date.now() - disconnectedSince,
    });
    failureLog.ended(label);
    options.connected?.({ retries: failures, disconnectedSince });
    failures = 0;
    // With other servers to go to, a GoAway moves the client at once: the draining pipe finishes its requests meanwhile.
    const moved = new Promise<"moved">((resolve) => (moveOn = () => resolve("moved")));
    const ended = await Promise.race([pipe.closed, moved]);
    moveOn = undefined;
    if (stopped) return { kind: "stopped" };
    // GoAway's retry-after counts from the close: a server draining for a while still gets its whole window.
    const holdMs = goAwayMs;
    goAwayMs = undefined;
    if (ended === "moved") {
      plan.hold(target, Number.POSITIVE_INFINITY); // until the draining pipe closes, then its retry-after
      void pipe.closed.then(() => {
        const until = clock.now() + (holdMs ?? 0);
        plan.hold(target, until);
        if (!parked) return;
        parked = false;
        schedule("the server is draining", { notBeforeMs: until });
      });
      log.info("the server is draining: moving to the next server", { target: label, ...viaFields(target) });
      return { kind: "moved" };
    }
    const error = ended;
    if (holdMs !== undefined) plan.hold(target, clock.now() + holdMs);
    reconnects++;
    disconnectedSince = Date.now();
    const reason = closeReason(pipe, error);
    lastLost = { reason, at: disconnectedSince };
    if (clock.now() - openedAt >= STABLE_AFTER_MS) attempt = 0;
    setStatus({ state: "disconnected", reason, since: disconnectedSince });
    log.warn("lost the pipe to the server", { reason, ...targetField(label), ...viaFields(target) });
    return { kind: "lost", reason };
  };

  /** One round: every target (every address of each) until one connects; a backoff only when all failed. */
  const round = async (lastReason?: string) => {
    let reason = lastReason;
    let dialled = 0;
    let proxyDown = true; // every failure of the round was "the proxy is unreachable"
    let notBeforeMs = Number.POSITIVE_INFINITY;
    for (const target of plan.order()) {
      if (stopped) return;
      let arranged: DialTarget[];
      try {
        arranged = plan.arrange(target, await expand(target));
        if (arranged.length === 0) throw new Error(`Cannot resolve ${target.host}: no address; check the name in RP_CLIENT_TARGET_HOSTNAME`);
      } catch (error) {
        if (stopped) return;
        reason = (error as Error).message;
        dialled++;
        proxyDown = false;
        failed(formatTarget(target), target, reason);
        continue;
      }
      for (const candidate of arranged) {
        const heldUntil = plan.heldUntil(candidate, clock.now());
        if (heldUntil > 0) {
          notBeforeMs = Math.min(notBeforeMs, heldUntil);
          continue;
        }
        dialled++;
        const outcome = await dialOne(candidate, reason);
        if (outcome.kind === "stopped" || stopped) return;
        if (outcome.kind === "failed") {
          reason = outcome.reason;
          proxyDown &&= outcome.proxyDown;
          continue;
        }
        plan.moveOn(target, arranged, candidate); // a lost pipe: the next server, after the quick first retry
        if (outcome.kind === "moved") return schedule("the server is draining", { now: true });
        return schedule(outcome.reason);
      }
    }
    const why = reason ?? "every server asked us to reconnect later";
    if (dialled === 0) return schedule(why, { notBeforeMs });
    schedule(why, { proxyDown });
  };

  void round();
  return {
    get status() {
      return status;
    },
    get reconnects() {
      return reconnects;
    },
    get target() {
      return dialLabel(current);
    },
    targets: options.targets.map((target) => formatTarget(target)),
    goAway(retryAfterMs) {
      const delayMs = goAwayDelay(retryAfterMs, random);
      goAwayMs = delayMs;
      // Another server (or another address of this name) to go to: leave now rather than when the drain ends.
      if (plan.targets.length > 1 || current.address !== undefined) moveOn?.();
      log.info("the server asked us to reconnect later", { retryAfterMs, delayMs, ...targetField(dialLabel(current)), ...(plan.targets.length > 1 ? { then: "the next server" } : {}) });
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
