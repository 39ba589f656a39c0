/** What both roles assemble the same way: the registry and observer, pipe options, the HTTP front, hooks, the drain. */
export * from "./node-parts.ts";
export * from "./pipe-options.ts";
export * from "./front-server.ts";
export * from "./drain.ts";
export * from "./hooks.ts";
export * from "./observer.ts";
