/** The runtime contract: everything the composition roots need from Bun or Deno. */
import type { Transport } from "../pipe/index.ts";
import type { HttpServeOptions, HttpServer } from "./http-types.ts";
import type { TlsConnectOptions, TlsListener, TlsListenOptions } from "./tls-types.ts";

/** One runtime adapter. */
export interface Runtime {
  readonly name: string;
  listenTls(options: TlsListenOptions): TlsListener;
  connectTls(options: TlsConnectOptions): Promise<Transport>;
  serveHttp(options: HttpServeOptions): HttpServer;
  /**
   * True when the HTTP server is done with a chunk of a streamed response
   * body once it reads the next one (it writes or copies each chunk before
   * asking for more): the front may lend it chunks whose memory is freed then.
   */
  readonly httpLendsBodies?: boolean;
}
