/**
 * Flushes of socket transports deferred past the I/O callbacks now running,
 * with one setImmediate for all the transports that asked in a turn rather
 * than one each: a fan-out to 1,000 clients flushed 1,000 pipes, each in an
 * immediate of its own (on the answering side too: each client pipe of a
 * process its own). They run in the order they were asked for, in the same
 * phase of the event loop as before (after the I/O callbacks, never inside
 * one: see TransportBase.scheduleFlush). One that throws does not keep the
 * others from running; its error is thrown again, uncaught as before, from a
 * microtask.
 */
import { setImmediate } from "node:timers";

/** A flush's error is thrown again where nothing catches it, as an immediate's own would be. */
const throwUncaught = (error: unknown): void =>
  queueMicrotask(() => {
    throw error;
  });

/** Flushes waiting for the next check phase, run by one setImmediate. */
export class AfterIo {
  #waiting: Array<() => void> = [];

  constructor(readonly report: (error: unknown) => void = throwUncaught) {}

  /** Runs `flush` after the I/O callbacks now running, with every other flush asked for in this turn. */
  readonly schedule = (flush: () => void): void => {
    if (this.#waiting.push(flush) === 1) setImmediate(this.#run);
  };

  #run = (): void => {
    const now = this.#waiting;
    this.#waiting = []; // a flush asked for while these run waits for the next turn, as a setImmediate from an immediate does
    for (const flush of now) {
      try {
        flush();
      } catch (error) {
        this.report(error);
      }
    }
  };
}

/** The process's one queue (a flush is a write to a socket: every transport of the process shares the turn). */
export const afterIo: (flush: () => void) => void = new AfterIo().schedule;
