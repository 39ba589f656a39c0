/** Event dispatch: handler names, arguments, bodies, replies; the seed's example handlers. */
export * from "./types.ts";
export * from "./names.ts";
export * from "./body.ts";
export * from "./dispatcher.ts";
export * from "./examples.ts";
