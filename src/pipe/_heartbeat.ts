/**
 * Liveness: a heartbeat every interval, and the verdict "dead" when a
 * heartbeat has gone unanswered and nothing at all has arrived for the
 * timeout. Inbound traffic counts as life, so a heartbeat reply stuck behind
 * a large body does not kill a busy pipe. A peer that vanishes is declared
 * dead within interval + timeout.
 */
import type { Clock, TimerHandle } from "./clock.ts";

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
  #outstanding: { id: number; sentAt: number } | undefined;
  #lastInboundAt: number;
  #tickTimer: TimerHandle | undefined;
  #checkTimer: TimerHandle | undefined;
  #stopped = false;
  /** Round-trip time of the last answered heartbeat, in ms. */
  lastRttMs: number | undefined;

  constructor(
    readonly timing: HeartbeatTiming,
    readonly clock: Clock,
    readonly actions: HeartbeatActions,
  ) {
    this.#lastInboundAt = clock.now();
  }

  /**
   * Sends the first heartbeat now (always: it carries our capabilities and
   * proves the peer answers) and, unless the interval is 0, schedules the rest.
   */
  start(): void {
    if (this.timing.intervalMs > 0) return this.#beat();
    this.#outstanding = { id: this.#nextId++, sentAt: this.clock.now() };
    this.actions.send(this.#outstanding.id);
  }

  /** Call on every inbound chunk. */
  received(): void {
    this.#lastInboundAt = this.clock.now();
  }

  /** Call on a HeartbeatReply; returns false when `id` does not answer the outstanding heartbeat. */
  answered(id: number): boolean {
    if (this.#outstanding?.id !== id) return false;
    this.lastRttMs = this.clock.now() - this.#outstanding.sentAt;
    this.#outstanding = undefined;
    this.#clear("check");
    return true;
  }

  /** Stops all timers. */
  stop(): void {
    this.#stopped = true;
    this.#clear("tick");
    this.#clear("check");
  }

  #beat = (): void => {
    if (this.#stopped) return;
    if (this.#outstanding === undefined) {
      const id = this.#nextId;
      this.#nextId = (this.#nextId % 0xffff_ffff) + 1;
      this.#outstanding = { id, sentAt: this.clock.now() };
      this.actions.send(id);
      if (this.timing.timeoutMs > 0) this.#scheduleCheck(this.timing.timeoutMs);
    }
    this.#tickTimer = this.clock.setTimeout(this.#beat, this.timing.intervalMs);
  };

  #scheduleCheck(ms: number): void {
    this.#clear("check");
    this.#checkTimer = this.clock.setTimeout(this.#check, ms);
  }

  #check = (): void => {
    this.#checkTimer = undefined;
    if (this.#stopped || this.#outstanding === undefined) return;
    const silentMs = this.clock.now() - Math.max(this.#lastInboundAt, this.#outstanding.sentAt);
    if (silentMs >= this.timing.timeoutMs && this.actions.excused?.()) {
      this.#scheduleCheck(this.timing.timeoutMs);
    } else if (silentMs >= this.timing.timeoutMs) {
      this.stop();
      this.actions.dead(this.clock.now() - this.#lastInboundAt);
    } else {
      this.#scheduleCheck(this.timing.timeoutMs - silentMs);
    }
  };

  #clear(which: "tick" | "check"): void {
    const handle = which === "tick" ? this.#tickTimer : this.#checkTimer;
    if (handle !== undefined) this.clock.clearTimeout(handle);
    if (which === "tick") this.#tickTimer = undefined;
    else this.#checkTimer = undefined;
  }
}
