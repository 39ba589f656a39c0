/**
 * Liveness: a heartbeat every interval, and the verdict "dead" when a
 * heartbeat has gone unanswered and nothing at all has arrived for the
 * timeout. Inbound traffic counts as life, so a heartbeat reply stuck behind
 * a large body does not kill a busy pipe. A peer that vanishes is declared
 * dead within interval + timeout (+ one grid step, below).
 *
 * No pipe has a timer of its own: every monitor of one clock with the same
 * timing shares one grid (_heartbeat-grid.ts), which wakes once per step for
 * all the heartbeats and checks due then: a server with 50,000 clients has
 * one heartbeat timer, not 100,000, and sends each step's heartbeats in one
 * batch.
 */
import type { Clock } from "./clock.ts";
import { gridFor, type HeartbeatGrid } from "./_heartbeat-grid.ts";

/** Heartbeat timing. 0 disables the respective part. */
export interface HeartbeatTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** What the monitor asks its pipe to do. */
export interface HeartbeatActions {
  /** Send a Heartbeat frame with this id. */
  send(id: number): void;
  /** The peer is considered dead: it has been silent for `silentMs`. */
  dead(silentMs: number): void;
  /** True while the silence is ours (we stopped reading from the peer): the verdict waits. */
  excused?(): boolean;
}

/** Sends heartbeats and watches for answers, in the injected clock's time. */
export class HeartbeatMonitor {
  #nextId = 1;
  #outstandingId = 0;
  #sentAt = 0;
  #lastInboundAt: number;
  #stopped = false;
  readonly #grid: HeartbeatGrid;
  /** The grid's record of this monitor's slots. */
  readonly booked = { beat: -1, check: -1 };
  /** Round-trip time of the last answered heartbeat, in ms. */
  lastRttMs: number | undefined;

  constructor(
    readonly timing: HeartbeatTiming,
    readonly clock: Clock,
    readonly actions: HeartbeatActions,
  ) {
    this.#lastInboundAt = clock.now();
    this.#grid = gridFor(clock, timing);
  }

  /**
   * Sends the first heartbeat now (always: it carries our capabilities and
   * proves the peer answers) and, unless the interval is 0, schedules the rest.
   */
  start(): void {
    if (this.timing.intervalMs > 0) return this.beat();
    this.#send();
  }

  /** Call on every inbound chunk. */
  received(): void {
    this.#lastInboundAt = this.clock.now();
  }

  /** Call on a HeartbeatReply; returns false when `id` does not answer the outstanding heartbeat. */
  answered(id: number): boolean {
    if (this.#outstandingId === 0 || this.#outstandingId !== id) return false;
    this.lastRttMs = this.clock.now() - this.#sentAt;
    this.#outstandingId = 0;
    this.#grid.unschedule(this, "check");
    return true;
  }

  /** Stops: the grid forgets this monitor. */
  stop(): void {
    this.#stopped = true;
    this.#grid.unschedule(this, "beat");
    this.#grid.unschedule(this, "check");
  }

  /** The grid's call at this monitor's beat: a heartbeat unless one is unanswered, and the next beat booked. */
  beat(): void {
    if (this.#stopped) return;
    if (this.#outstandingId === 0) {
      this.#send();
      if (this.timing.timeoutMs > 0) this.#grid.schedule(this, "check", this.clock.now() + this.timing.timeoutMs);
    }
    this.#grid.schedule(this, "beat", this.clock.now() + this.timing.intervalMs);
  }

  /** The grid's call at this monitor's check: dead after `timeoutMs` of silence, else checked again when it could be. */
  check(): void {
    if (this.#stopped || this.#outstandingId === 0) return;
    const now = this.clock.now();
    const silentMs = now - Math.max(this.#lastInboundAt, this.#sentAt);
    if (silentMs >= this.timing.timeoutMs && this.actions.excused?.()) {
      this.#grid.schedule(this, "check", now + this.timing.timeoutMs);
    } else if (silentMs >= this.timing.timeoutMs) {
      this.stop();
      this.actions.dead(now - this.#lastInboundAt);
    } else {
      this.#grid.schedule(this, "check", now + this.timing.timeoutMs - silentMs);
    }
  }

  #send(): void {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 0xffff_ffff) + 1;
    this.#outstandingId = id;
    this.#sentAt = this.clock.now();
    this.actions.send(id);
  }
}
