/** The CONNECT handshake as the adapters run it: write `request`, feed what the proxy sends to `push` until it says the tunnel is open. */
import { connectRequest } from "./connect-request.ts";
import { ConnectReplyReader } from "./connect-reply.ts";
import type { ProxyEndpoint } from "./endpoint.ts";
import { ProxyError } from "./errors.ts";
import { refusalMessage } from "./refusal.ts";

/** One CONNECT exchange with a proxy. */
export class TunnelHandshake {
  /** The bytes to write once the TCP connection to the proxy is up. */
  readonly request: Uint8Array;
  readonly #reader = new ConnectReplyReader();
  readonly #proxy: ProxyEndpoint;
  readonly #port: number;

  constructor(host: string, port: number, proxy: ProxyEndpoint) {
    this.request = connectRequest(host, port, proxy);
    this.#proxy = proxy;
    this.#port = port;
  }

  /** True once the proxy answered 2xx (the socket now carries the server's bytes); false while more is needed. Throws ProxyError naming the refusal. */
  push(chunk: Uint8Array): boolean {
    const done = this.#reader.push(chunk);
    if (done === undefined) return false;
    const { reply, rest } = done;
    if (reply.status < 200 || reply.status > 299) throw new ProxyError(refusalMessage(reply, this.#proxy, this.#port));
    // A TLS server never speaks first: bytes here are the proxy's, not the server's.
    if (rest.length > 0) throw new ProxyError(`the proxy sent ${rest.length} bytes after opening the tunnel, before the TLS handshake: not a plain CONNECT proxy?`);
    return true;
  }
}
