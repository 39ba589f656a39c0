/** Runtime adapters: the only place that touches Bun (or Deno, node:) APIs. */
export * from "./errors.ts";
export type * from "./tls-types.ts";
export type * from "./http-types.ts";
export type * from "./runtime.ts";
export { selectRuntime } from "./select.ts";
export { bundleModule, type BundleMessage, type BundleResult } from "./bundler.ts";
export { clearStaleSocket } from "./_unix-socket.ts";
