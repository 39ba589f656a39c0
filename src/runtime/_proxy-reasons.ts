/** The proxy stage of a dial, in the words both adapters log: what went wrong between us and the proxy. */
import { ProxyError } from "../proxy/index.ts";
import { describe } from "./errors.ts";

/** What the dial waits for while the proxy has not opened the tunnel (named in the timeout message). */
export const WAITING_FOR_PROXY = "the proxy's answer to CONNECT";

/** What the dial waits for once the tunnel is open: a proxy that holds the bytes shows up here. */
export const WAITING_FOR_TUNNEL = "the TLS handshake through the proxy's tunnel: is the proxy holding the tunnel's bytes?";

/**
 * Largest write (so: TLS record) on a tunnelled connection. A proxy that
 * relays in small reads with Nagle on (tinyproxy: 2 KiB reads, no
 * TCP_NODELAY) holds the tail of a larger record until the server's delayed
 * ACK (40 ms), and the server cannot decrypt the record, so cannot answer,
 * until the tail arrives. Records this small always leave a whole one in each
 * 2 KiB read, so the server answers (and ACKs) at once.
 */
export const PROXY_RECORD_BYTES = 1024 - 32;

/** The TCP connection to the proxy failed. */
export function proxyUnreachable(error: unknown): string {
  return `the proxy is unreachable (${describe(error)}); check RP_CLIENT_PROXY and that the proxy runs`;
}

/** The proxy closed before it answered CONNECT. */
export const PROXY_CLOSED = "the proxy closed the connection before answering CONNECT";

/** The tunnel was open, then closed before the TLS handshake ended. */
export const TUNNEL_CLOSED = "the proxy closed the tunnel during the TLS handshake (the proxy or the server cut it)";

/** A refusal (ProxyError) as it is; anything else described. */
export function proxyFailure(error: unknown): string {
  return error instanceof ProxyError ? error.message : describe(error);
}
