/** Client labels: their strict syntax, their SAN URI form, and matching. Pure: no I/O, no dependencies. */
export * from "./labels.ts";
