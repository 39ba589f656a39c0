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

/** Flushes waiting for the next check phase. */
let waiting: Array<() => void> = [];

function runWaiting(): void {
  const now = waiting;
  waiting = []; // a flush asked for while these run waits for the next turn, as a setImmediate from an immediate does
  for (const flush of now) {
    try {
      flush();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** Runs `flush` after the I/O callbacks now running, with every other flush asked for in this turn. */
export function afterIo(flush: () => void): void {
  if (waiting.push(flush) === 1) setImmediate(runWaiting);
}
