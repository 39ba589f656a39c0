/** One connection: the Transport contract, the Pipe over it, its clock and errors. */
export * from "./transport.ts";
export * from "./clock.ts";
export * from "./errors.ts";
export * from "./pipe-types.ts";
export * from "./pipe.ts";
export * from "./prepared-event.ts";
export * from "./registry.ts";
