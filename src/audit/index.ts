/** The audit trail: one JSON line per event, written off the event path with a byte bound. */
export * from "./record.ts";
export * from "./audit-log.ts";
