/** Wire protocol v1: frame constants, header codec, incremental decoder, message bodies. Pure: no I/O, no clock. */
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./frame.ts";
export * from "./decoder.ts";
export * from "./messages.ts";
export * from "./bytes.ts";
export { joinAtDeadline } from "./_fast-codec.ts";
export { varintSize } from "./_write.ts";
