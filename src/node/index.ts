/** What both roles assemble the same way: pipe options, the HTTP front, the live identity. */
export * from "./pipe-options.ts";
export * from "./front-server.ts";
export * from "./drain.ts";
export * from "./hooks.ts";
export * from "./node-identity.ts";
export * from "./identity-source.ts";
export * from "./identity-runtime.ts";
export * from "./expiry.ts";
export * from "./observer.ts";
export * from "./status.ts";
export * from "./peer-certificate.ts";
export * from "./event-guard.ts";
