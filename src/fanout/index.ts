/** Fan-out: one request to many clients, each answer reported. Runtime-neutral: selectors, the runner, the answer document. */
export * from "./errors.ts";
export * from "./selector.ts";
export * from "./options.ts";
export * from "./result.ts";
export * from "./limiter.ts";
export * from "./runner.ts";
export * from "./recent.ts";
export * from "./directory.ts";
