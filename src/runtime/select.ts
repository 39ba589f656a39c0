/** Chooses the runtime adapter for the runtime this process runs on. */
import type { Runtime } from "./runtime.ts";

/** The Deno adapter on Deno, the Bun adapter on Bun; each is loaded only where it runs. */
export async function selectRuntime(): Promise<Runtime> {
  if ("Deno" in globalThis) return (await import("./deno/index.ts")).denoRuntime;
  if ("Bun" in globalThis) return (await import("./bun/index.ts")).bunRuntime;
  throw new Error("Cannot start: RestPipe runs on Bun or Deno, and this runtime is neither");
}
