/** Caller tags and W3C trace context: checked, made when absent, carried with each event. Pure. */
export * from "./traceparent.ts";
export * from "./caller.ts";
