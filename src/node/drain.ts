/** Graceful end of pipes: both roles drain the same way on shutdown. */
import type { Pipe } from "../pipe/index.ts";

/** Tells every peer to go away, waits for in-flight work up to `timeoutMs`, then closes the pipes. */
export async function drainAll(pipes: readonly Pipe[], timeoutMs: number): Promise<void> {
  for (const pipe of pipes) pipe.drain(timeoutMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(pipes.map((pipe) => pipe.idle())),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  for (const pipe of pipes) pipe.close();
}
