/** Errors of the proxy handshake. */

/** The proxy did not open the tunnel: refused it, answered garbage, or said too much. The message names the cause and the fix. */
export class ProxyError extends Error {
  override name = "ProxyError";
}
