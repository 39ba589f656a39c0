/** Process-level helpers both runtimes provide through node: modules (files, append-only logs, UDP, process figures, a GET to a node's own front); not part of the runtime adapter. */
export * from "./files.ts";
export * from "./udp.ts";
export * from "./process-stats.ts";
export * from "./front-fetch.ts";
export * from "./append-file.ts";
export * from "./dns.ts";
