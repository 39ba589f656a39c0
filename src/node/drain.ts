/** Graceful end of pipes: both roles drain the same way on shutdown. */
import { systemClock, type Clock, type Pipe } from "../pipe/index.ts";

/**
 * Tells every peer to go away (and to retry after `retryAfterMs`), waits for
 * the requests in flight in both directions up to `timeoutMs`, then closes
 * the pipes. Resolves with the number of pipes that were still busy at the
 * timeout.
 */
export async function drainAll(pipes: readonly Pipe[], timeoutMs: number, retryAfterMs: number, clock: Clock = systemClock): Promise<number> {
  for (const pipe of pipes) pipe.drain(retryAfterMs);
  let timer: unknown;
  await Promise.race([
    Promise.all(pipes.map((pipe) => pipe.idle())),
    new Promise((resolve) => (timer = clock.setTimeout(() => resolve(undefined), timeoutMs))),
  ]);
  clock.clearTimeout(timer);
  const busy = pipes.filter((pipe) => pipe.inFlight + pipe.inboundInFlight > 0).length;
  for (const pipe of pipes) pipe.close();
  return busy;
}
