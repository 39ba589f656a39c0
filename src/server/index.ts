/** rp-server: accept, authenticate by CN, registry of client pipes, front. */
export * from "./server.ts";
export * from "./status.ts";
