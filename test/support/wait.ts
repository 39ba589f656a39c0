/** Bounded polling for conditions no event announces (a counter reaching a value, async work finishing). */

/** Resolves once `condition()` holds, checking every few ms; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Waits `ms` on the real clock (web timers: the same under Bun and Deno, unlike Bun.sleep). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
