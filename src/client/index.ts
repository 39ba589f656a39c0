/** rp-client: the dial loop with backoff, and the front. */
export * from "./backoff.ts";
export * from "./status.ts";
export * from "./dial-loop.ts";
export * from "./client.ts";
