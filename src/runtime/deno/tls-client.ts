/**
 * mTLS dial on node:tls (Deno.connectTls has no server-name option, and the
 * server name is how a client dials 127.0.0.1 but checks "localhost"),
 * directly or through an HTTP proxy: node:net to the proxy, CONNECT, then
 * `tls.connect({ socket })` over the same socket. The transport is handed
 * out after the handshake, from "secureConnect".
 */
import { connect as connectTcp, type Socket } from "node:net";
import { connect, type ConnectionOptions } from "node:tls";
import { TunnelHandshake } from "../../proxy/index.ts";
import { DialAttempt } from "../_dial.ts";
import { PROXY_CLOSED, proxyFailure, proxyUnreachable, TUNNEL_CLOSED, WAITING_FOR_PROXY, WAITING_FOR_TUNNEL } from "../_proxy-reasons.ts";
import { dialReason, serverCertificateReason } from "../_tls-reasons.ts";
import { describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { NodeSocketTransport, peerCertificateDer } from "./socket-transport.ts";

/** Connects (through the proxy when one is given) and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<NodeSocketTransport> {
  let current: Socket | undefined;
  const attempt = new DialAttempt<NodeSocketTransport>(options.hostname, options.port, options.timeoutMs, () => current?.destroy(), options.proxy);
  if (options.proxy === undefined) {
    current = secure(options, attempt, { host: options.hostname, port: options.port }, false);
    return attempt.promise;
  }
  const proxy = options.proxy;
  const handshake = new TunnelHandshake(options.hostname, options.port, proxy);
  attempt.waitingFor = WAITING_FOR_PROXY;
  const raw = connectTcp({ host: proxy.host, port: proxy.port });
  current = raw;
  raw.setNoDelay(true);
  const onData = (chunk: Uint8Array) => {
    if (attempt.settled) return void raw.destroy();
    let open: boolean;
    try {
      open = handshake.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (error) {
      attempt.fail(proxyFailure(error), error);
      return void raw.destroy();
    }
    if (!open) return;
    raw.off("data", onData);
    raw.off("close", onClose);
    raw.off("error", onError);
    attempt.waitingFor = WAITING_FOR_TUNNEL;
    // `host` with `socket`: node checks the certificate against it (and sends it as SNI when it is a name).
    current = secure(options, attempt, { socket: raw, host: options.hostname }, true);
  };
  const onClose = () => attempt.fail(PROXY_CLOSED);
  const onError = (error: Error) => {
    attempt.fail(proxyUnreachable(error), error);
    raw.destroy();
  };
  raw.once("connect", () => (attempt.settled ? raw.destroy() : void raw.write(handshake.request)));
  raw.on("data", onData);
  raw.once("close", onClose);
  raw.on("error", onError);
  return attempt.promise;
}

/** The TLS client, on a new connection or over the proxy's tunnel. */
function secure(options: TlsConnectOptions, attempt: DialAttempt<NodeSocketTransport>, where: ConnectionOptions, proxied: boolean): Socket {
  const { identity } = options;
  const socket = connect({
    ...where,
    key: identity.keyPem,
    cert: identity.certPem,
    ca: identity.caPem,
    ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
    // Without a server name node checks the host itself (an IP against the IP SANs), and sends no SNI for an IP.
    ...(options.serverName === undefined ? {} : { servername: options.serverName }),
    rejectUnauthorized: true, // explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off
  });
  const fail = (message: string, cause?: unknown) => {
    attempt.fail(message, cause);
    socket.destroy();
  };
  socket.once("secureConnect", () => {
    if (attempt.settled) return void socket.destroy();
    if (!socket.authorized) return fail(serverCertificateReason(String(socket.authorizationError), socket.getPeerX509Certificate()?.issuer));
    const der = peerCertificateDer(socket);
    attempt.succeed(new NodeSocketTransport(socket, { remoteAddress: attempt.target, ...(der ? { certificateDer: der } : {}) }));
  });
  socket.on("error", (error: Error) => {
    if (!attempt.settled) fail(dialReason(describe(error), socket.getPeerX509Certificate()?.issuer), error);
  });
  socket.once("close", () => {
    if (!attempt.settled) fail(proxied ? TUNNEL_CLOSED : "closed during the TLS handshake");
  });
  return socket;
}
