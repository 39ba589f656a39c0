/** Configuration: defaults, config file, environment and flags → one validated, frozen config per role. Runtime-neutral. */
export * from "./errors.ts";
export * from "./types.ts";
export { parseListen, formatListen, MAX_UNIX_PATH_BYTES, type Listen } from "./listen.ts";
export { isLoopbackHost } from "./_host.ts";
export * from "./load.ts";
export * from "./describe.ts";
export * from "./config-file.ts";
export { bypassesProxy, parseNoProxy, type NoProxy, type NoProxyRule } from "./no-proxy.ts";
export { closestName, editDistance } from "./suggest.ts";
export { parseShares, type ShareConfig } from "./shares.ts";
export { clientTargets, formatTarget, MAX_TARGETS, parseTargetList, type Target, type TargetEntry } from "./targets.ts";
