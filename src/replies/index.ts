/** The replies RestPipe itself sends (reserved codes 250, 251, 252, 255), what a reply may carry, and the path redaction of handler errors. */
export * from "./reserved.ts";
export * from "./reply-check.ts";
export { redactPaths, REDACTED_PATH } from "./_redact.ts";
export * from "./http-head.ts";
