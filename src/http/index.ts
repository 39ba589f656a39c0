/** The local HTTP front (Elysia): request → event, reply → response, and the one error table. */
export * from "./errors.ts";
export * from "./status.ts";
export * from "./path.ts";
export * from "./body.ts";
export * from "./auth.ts";
export * from "./front.ts";
export * from "./host.ts";
