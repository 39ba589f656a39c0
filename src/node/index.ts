/** What both roles assemble the same way: pipe options and the HTTP front. */
export * from "./pipe-options.ts";
export * from "./front-server.ts";
export * from "./drain.ts";
export * from "./hooks.ts";
export * from "./observer.ts";
export * from "./status.ts";
