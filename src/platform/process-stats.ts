/** Process figures for metrics, through node:process (Bun and Deno both provide it). */
import { memoryUsage } from "node:process";

/** Resident set size of this process, in bytes. */
export function residentMemoryBytes(): number {
  return memoryUsage.rss();
}
