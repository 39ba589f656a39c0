/** rp-client: the dial loop with backoff, and the front. */
export * from "./backoff.ts";
export type { ClientStatus } from "../ops/index.ts";
export * from "./dial-loop.ts";
export * from "./client.ts";
export * from "./status.ts";
