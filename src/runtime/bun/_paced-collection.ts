/**
 * A cheap collection paced by the bytes this process's sockets move. Bun
 * hands every socket read to JS as a fresh buffer (512 KiB each during a bulk
 * transfer), and a handler's stream often makes a fresh buffer per chunk
 * too; they die at once, but JSC collects them late, and mimalloc keeps the
 * pages they used until a collection has it clean up. During a 1 GiB
 * transfer a node grew by 50-85 MiB that way. `Bun.gc(true)` every 16 MiB
 * held a bare receiver at 6 MiB but cost two thirds of its throughput; an
 * eden collection (`Bun.gc(false)`, which also has mimalloc clean up) every
 * COLLECT_EVERY bytes read or written costs no throughput we could measure.
 */

/** Bytes read or written by all sockets of this process between two collections. */
export const COLLECT_EVERY = 32 * 1024 * 1024;

let moved = 0;

/** Counts `bytes` just read or written; past COLLECT_EVERY since the last collection, runs an eden collection. */
export function bytesMoved(bytes: number): void {
  moved += bytes;
  if (moved < COLLECT_EVERY) return;
  moved = 0;
  Bun.gc(false);
}
