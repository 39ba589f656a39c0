/** Structured logging: the Logger contract and its writers. */
export * from "./logger.ts";
export * from "./console-logger.ts";
export * from "./printable.ts";
export * from "./repeated.ts";
export * from "./burst.ts";
