/** node:net to an HTTP proxy and CONNECT: the plain socket is handed on once the proxy answered 2xx (the Deno adapter's proxy stage). */
import { connect as connectTcp, type Socket } from "node:net";
import { TunnelHandshake, type ProxyEndpoint } from "../../proxy/index.ts";
import { PROXY_CLOSED, proxyFailure, proxyUnreachable } from "../_proxy-reasons.ts";

/** Who hears how the proxy stage ends. */
export interface TunnelEvents {
  /** The stage failed; the socket is destroyed. */
  fail(message: string, cause?: unknown): void;
  /** The caller gave up (timeout): bytes from the proxy are dropped and the socket destroyed. */
  readonly settled: boolean;
  /** The tunnel is open: `raw` now carries the server's bytes. */
  open(raw: Socket): void;
}

/** Connects to the proxy and asks for a tunnel to host:port; returns the socket (for cutting it). */
export function openTunnel(proxy: ProxyEndpoint, host: string, port: number, events: TunnelEvents): Socket {
  const handshake = new TunnelHandshake(host, port, proxy);
  const raw = connectTcp({ host: proxy.host, port: proxy.port });
  raw.setNoDelay(true);
  const onData = (chunk: Uint8Array) => {
    if (events.settled) return void raw.destroy();
    let open: boolean;
    try {
      open = handshake.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      events.fail(proxyFailure(error), error);
      return void raw.destroy();
    }
    if (!open) return;
    raw.off("data", onData);
    raw.off("close", onClose);
    raw.off("error", onError);
    events.open(raw);
  };
  const onClose = () => events.fail(PROXY_CLOSED);
  const onError = (error: Error) => {
    events.fail(proxyUnreachable(error), error);
    raw.destroy();
  };
  raw.once("connect", () => (events.settled ? raw.destroy() : void raw.write(handshake.request)));
  raw.on("data", onData);
  raw.once("close", onClose);
  raw.on("error", onError);
  return raw;
}
