/**
 * mTLS dial on node:tls (Deno.connectTls has no server-name option, and the
 * server name is how a client dials 127.0.0.1 but checks "localhost"). The
 * transport is handed out after the handshake, from "secureConnect".
 */
import { connect } from "node:tls";
import { DialAttempt } from "../_dial.ts";
import { dialReason } from "../_tls-reasons.ts";
import { describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { NodeSocketTransport, peerCertificateDer } from "./socket-transport.ts";

/** Connects and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<NodeSocketTransport> {
  const { identity } = options;
  const socket = connect({
    host: options.hostname,
    port: options.port,
    key: identity.keyPem,
    cert: identity.certPem,
    ca: identity.caPem,
    ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
    // Without a server name node checks the host itself (an IP against the IP SANs), and sends no SNI for an IP.
    ...(options.serverName === undefined ? {} : { servername: options.serverName }),
    rejectUnauthorized: true, // explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off
  });
  const attempt = new DialAttempt<NodeSocketTransport>(options.hostname, options.port, options.timeoutMs, () => socket.destroy());
  const fail = (message: string, cause?: unknown) => {
    attempt.fail(message, cause);
    socket.destroy();
  };
  socket.once("secureConnect", () => {
    if (attempt.settled) return;
    if (!socket.authorized) return fail(`server certificate refused: ${String(socket.authorizationError)}`);
    const der = peerCertificateDer(socket);
    attempt.succeed(new NodeSocketTransport(socket, { remoteAddress: attempt.target, ...(der ? { certificateDer: der } : {}) }));
  });
  socket.on("error", (error: Error) => {
    if (!attempt.settled) fail(dialReason(describe(error)), error);
  });
  socket.once("close", () => {
    if (!attempt.settled) fail("closed during the TLS handshake");
  });
  return attempt.promise;
}
