/** A node's live identity: loaded from its directory, reloaded on change, the listener switched to it, revocation and expiry warnings. */
export * from "./node-identity.ts";
export * from "./identity-source.ts";
export * from "./identity-runtime.ts";
export * from "./expiry.ts";
export * from "./peer-certificate.ts";
