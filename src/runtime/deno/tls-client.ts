/**
 * mTLS dial on node:tls (Deno.connectTls has no server-name option, and the
 * server name is how a client dials 127.0.0.1 but checks "localhost"),
 * directly or through an HTTP proxy: node:net to the proxy, CONNECT, then
 * `tls.connect({ socket })` over the same socket. The transport is handed
 * out after the handshake, from "secureConnect".
 */
import type { Socket } from "node:net";
import { connect, type ConnectionOptions } from "node:tls";
import { DialAttempt } from "../_dial.ts";
import { PROXY_RECORD_BYTES, TUNNEL_CLOSED, WAITING_FOR_PROXY, WAITING_FOR_TUNNEL } from "../_proxy-reasons.ts";
import { dialReason, isForeignCa, serverCertificateReason } from "../_tls-reasons.ts";
import { describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { probeIssuer } from "./issuer-probe.ts";
import { openTunnel } from "./proxy-tunnel.ts";
import { NodeSocketTransport, peerCertificateDer } from "./socket-transport.ts";

/** Connects (through the proxy when one is given) and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<NodeSocketTransport> {
  let current: Socket | undefined;
  const attempt = new DialAttempt<NodeSocketTransport>(options.hostname, options.port, options.timeoutMs, () => current?.destroy(), options.proxy);
  if (options.proxy === undefined) {
    current = secure(options, attempt, { host: options.hostname, port: options.port }, false);
    return attempt.promise;
  }
  attempt.waitingFor = WAITING_FOR_PROXY;
  current = openTunnel(options.proxy, options.hostname, options.port, {
    fail: (message, cause) => attempt.fail(message, cause),
    get settled() {
      return attempt.settled;
    },
    open: (raw) => {
      attempt.waitingFor = WAITING_FOR_TUNNEL;
      // `host` with `socket`: node checks the certificate against it (and sends it as SNI when it is a name).
      current = secure(options, attempt, { socket: raw, host: options.hostname }, true);
    },
  });
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
  let probing = false;
  socket.once("secureConnect", () => {
    if (attempt.settled) return void socket.destroy();
    if (!socket.authorized) return fail(serverCertificateReason(String(socket.authorizationError), socket.getPeerX509Certificate()?.issuer));
    const der = peerCertificateDer(socket);
    const peer = { remoteAddress: attempt.target, ...(der ? { certificateDer: der } : {}) };
    attempt.succeed(new NodeSocketTransport(socket, peer, proxied ? PROXY_RECORD_BYTES : undefined));
  });
  socket.on("error", (error: Error) => {
    if (attempt.settled) return;
    const text = describe(error);
    if (!isForeignCa(text)) return fail(dialReason(text), error);
    probing = true; // the close that follows is not the reason
    socket.destroy();
    // node:tls refused the chain before the certificate could be read: a throwaway handshake names its issuer.
    void probeIssuer(options).then((issuer) => attempt.fail(dialReason(text, issuer), error));
  });
  socket.once("close", () => {
    if (!attempt.settled && !probing) fail(proxied ? TUNNEL_CLOSED : "closed during the TLS handshake");
  });
  return socket;
}
