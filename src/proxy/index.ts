/** Outbound HTTP proxies: the CONNECT handshake as pure functions (request, bounded reply reader, refusal messages). Runtime-neutral. */
export * from "./endpoint.ts";
export * from "./errors.ts";
export * from "./connect-request.ts";
export * from "./connect-reply.ts";
export * from "./refusal.ts";
export * from "./tunnel.ts";
