/**
 * mTLS listener on Bun.listen. A `handshake` handler is defined so that
 * `open` runs when the TCP connection arrives: that is where pending
 * handshakes are counted and timed (slowloris on the pipe port). Writes in
 * `open` would be dropped, so nothing is written before the handshake.
 */
import type { Socket } from "bun";
import { formatAddress } from "../_address.ts";
import { HandshakeGate, type PendingHandshake } from "../_handshakes.ts";
import { refusalReason } from "../_tls-reasons.ts";
import { ListenError, TlsConfigError, describe, inUseMessage, isAddressInUse } from "../errors.ts";
import type { TlsListener, TlsListenOptions } from "../tls-types.ts";
import { SocketTransport } from "./socket-transport.ts";

interface Connection {
  transport?: SocketTransport | undefined;
  handshake?: PendingHandshake | undefined;
}

/** Listens for mutually authenticated TLS connections. Throws TlsConfigError for a bad key/certificate. */
export function listenTls(options: TlsListenOptions): TlsListener {
  const gate = new HandshakeGate({ timeoutMs: options.handshakeTimeoutMs, maxPending: options.maxPendingHandshakes, onRefused: options.onRefused });
  const { identity } = options;
  const address = (socket: Socket<Connection>) => formatAddress(socket.remoteAddress, socket.remotePort);
  const settleHandshake = (socket: Socket<Connection>) => socket.data.handshake?.settle() ?? false;
  let listener;
  try {
    listener = Bun.listen<Connection>({
      hostname: options.hostname,
      port: options.port,
      tls: {
        key: identity.keyPem,
        cert: identity.certPem,
        ca: identity.caPem,
        ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
        ...(identity.crlPem === undefined ? {} : { crl: identity.crlPem }),
        requestCert: true,
        rejectUnauthorized: true,
      },
      socket: {
        open(socket) {
          socket.data = { transport: undefined, handshake: undefined }; // one shape for every connection
          const handshake = gate.admit(address(socket), () => socket.terminate());
          if (handshake) socket.data.handshake = handshake;
        },
        handshake(socket, success, authorizationError) {
          if (!settleHandshake(socket)) return;
          // Settled: nothing of it needs to live as long as the connection (cleared, not deleted: a delete turns
          // the object into a dictionary, larger for every connection's life).
          socket.data.handshake = undefined;
          // `success` can be true for a certificate from another CA: `authorized` is the verdict.
          if (!success || !socket.authorized) {
            const error = authorizationError ?? socket.getAuthorizationError();
            const peer = socket.getPeerX509Certificate();
            const subject = peer?.subject?.replaceAll("\n", ", ");
            options.onRefused({
              remoteAddress: address(socket),
              reason: refusalReason(error?.message ?? "handshake failed"),
              ...(subject ? { peerSubject: subject } : {}),
              ...(peer?.raw ? { peerCertificateDer: new Uint8Array(peer.raw) } : {}),
            });
            socket.terminate();
            return;
          }
          const der = socket.getPeerX509Certificate()?.raw;
          const transport = new SocketTransport(socket as never, {
            remoteAddress: address(socket),
            ...(der ? { certificateDer: new Uint8Array(der) } : {}),
          });
          socket.data.transport = transport;
          options.onConnection(transport);
        },
        data(socket, data) {
          socket.data.transport?.onData(data);
        },
        drain(socket) {
          socket.data.transport?.onDrain();
        },
        close(socket, error) {
          settleHandshake(socket);
          socket.data.transport?.onClose(error);
        },
        error(socket, error) {
          socket.data.transport?.onClose(error);
        },
      },
    });
  } catch (error) {
    const where = formatAddress(options.hostname, options.port);
    if (isAddressInUse(error)) throw new ListenError(inUseMessage(where), "in-use", { cause: error });
    throw new TlsConfigError(`Cannot listen on ${where}: ${describe(error)}`, { cause: error });
  }
  return {
    hostname: listener.hostname,
    port: listener.port,
    get pendingHandshakes() {
      return gate.pending;
    },
    stop: (closeActive = false) => listener.stop(closeActive),
  };
}
