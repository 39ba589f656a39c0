/** Operability: connection tracking, the status JSON and page, health and metrics routes, terminal views. */
export * from "./tracker.ts";
export type * from "./client-status.ts";
export * from "./snapshot.ts";
export * from "./page.ts";
export * from "./routes.ts";
export * from "./table.ts";
