/**
 * The one timer behind the heartbeats of many pipes. Due times are rounded
 * up to a grid step (a "nice" divisor of the interval and the timeout, about
 * a sixteenth of the shorter), so that the monitors of one clock and timing
 * fall into a handful of slots; one clock timer wakes at the earliest slot
 * and runs every beat and check due in it. Rounding up only ever delays: a
 * heartbeat goes out at most one step late and no peer is declared dead
 * before it has been silent for the whole timeout.
 */
import type { Clock, TimerHandle } from "./clock.ts";

/** What the grid calls; `booked` is the grid's own record of the member's slots (-1: none), kept on the member. */
export interface GridMember {
  beat(): void;
  check(): void;
  readonly booked: Record<GridKind, number>;
}

/** The two things a member can be due for. */
export type GridKind = "beat" | "check";

/** Steps a grid may use, largest first: the largest that divides both periods and is at most a sixteenth of the shorter wins. */
const STEPS = [1000, 500, 250, 200, 100, 50, 25, 20, 10, 5, 2, 1];

/** The grid step for a timing (ms). */
export function gridStep(timing: { readonly intervalMs: number; readonly timeoutMs: number }): number {
  const periods = [timing.intervalMs, timing.timeoutMs].filter((ms) => ms > 0);
  if (periods.length === 0) return 1;
  const limit = Math.min(...periods) / 16;
  return STEPS.find((step) => step <= limit && periods.every((ms) => ms % step === 0)) ?? 1;
}

/** Slots of one kind: due time → members due then. */
type Slots = Map<number, Set<GridMember>>;

/** One clock's timer for every member with one grid step. */
export class HeartbeatGrid {
  readonly #slots: Record<GridKind, Slots> = { beat: new Map(), check: new Map() };
  #count = 0;
  #timer: TimerHandle | undefined;
  #armedAt = Infinity;

  constructor(
    readonly clock: Clock,
    readonly stepMs: number,
  ) {}

  /** Bookings now (both kinds). */
  get size(): number {
    return this.#count;
  }

  /** Books `member` for `kind` at `atMs` rounded up to the grid (replacing its booking of that kind). */
  schedule(member: GridMember, kind: GridKind, atMs: number): void {
    this.unschedule(member, kind);
    const slot = Math.ceil(atMs / this.stepMs) * this.stepMs;
    const slots = this.#slots[kind];
    let members = slots.get(slot);
    if (!members) slots.set(slot, (members = new Set()));
    members.add(member);
    member.booked[kind] = slot;
    this.#count++;
    if (slot < this.#armedAt) this.#arm(slot);
  }

  /** Cancels `member`'s booking of `kind`, if any. */
  unschedule(member: GridMember, kind: GridKind): void {
    const slot = member.booked[kind];
    if (slot < 0) return;
    member.booked[kind] = -1;
    this.#count--;
    const slots = this.#slots[kind];
    const members = slots.get(slot);
    members?.delete(member);
    if (members?.size === 0) slots.delete(slot);
    // The armed timer stays (waking once for nothing is cheaper than re-arming on every answered heartbeat),
    // unless nothing is booked at all: then no timer keeps the process or a fake clock busy.
    if (this.#count === 0 && this.#timer !== undefined) {
      this.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = Infinity;
    }
  }

  #arm(slot: number): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#armedAt = slot;
    this.#timer = this.clock.setTimeout(this.#fire, Math.max(0, slot - this.clock.now()));
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = this.clock.now();
    let failure: { error: unknown } | undefined;
    // Checks first: a peer silent for the timeout is judged before this step's heartbeat is sent to it.
    for (const kind of ["check", "beat"] as const) {
      const slots = this.#slots[kind];
      for (const [slot, members] of slots) {
        if (slot > now) continue;
        slots.delete(slot);
        for (const member of members) {
          member.booked[kind] = -1;
          this.#count--;
          try {
            if (kind === "beat") member.beat();
            else member.check();
          } catch (error) {
            failure ??= { error }; // the others still get their heartbeats; the error surfaces as a timer's would
          }
        }
      }
    }
    let next = Infinity;
    for (const slots of Object.values(this.#slots)) for (const slot of slots.keys()) if (slot < next) next = slot;
    if (next < Infinity && next < this.#armedAt) this.#arm(next);
    if (failure) throw failure.error;
  };
}

/** The grids of each clock, by step: one per clock and step, made on first use, kept while the clock lives. */
const grids = new WeakMap<Clock, Map<number, HeartbeatGrid>>();

/** The grid for `timing` on `clock`. */
export function gridFor(clock: Clock, timing: { readonly intervalMs: number; readonly timeoutMs: number }): HeartbeatGrid {
  const step = gridStep(timing);
  let byStep = grids.get(clock);
  if (!byStep) grids.set(clock, (byStep = new Map()));
  let grid = byStep.get(step);
  if (!grid) byStep.set(step, (grid = new HeartbeatGrid(clock, step)));
  return grid;
}
