/** Online enrollment: one-time tokens, the separate HTTPS enrollment listener, and the client that redeems a token. */
export * from "./token.ts";
export { createToken, redeemToken, caCertificateOf, EnrollError, type MadeToken, type Redeemed } from "./authority.ts";
export { startEnrollServer, ENROLL_PATHS, MAX_ENROLL_BODY_BYTES, type EnrollServer, type EnrollServerOptions } from "./server.ts";
export { enroll, EnrollClientError, type Enrolled } from "./client.ts";
