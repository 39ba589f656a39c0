/** rp-client: the dial loop with backoff over one or several servers, and the front. */
export * from "./backoff.ts";
export type { ClientStatus } from "../ops/index.ts";
export * from "./dial-loop.ts";
export { dialLabel, DialPlan, type DialTarget } from "./dial-plan.ts";
export { dialTargets, MAX_ADDRESSES_PER_NAME } from "./resolve.ts";
export * from "./client.ts";
export * from "./status.ts";
