/**
 * mTLS listener on Bun.listen. A `handshake` handler is defined so that
 * `open` runs when the TCP connection arrives: that is where pending
 * handshakes are counted and timed (slowloris on the pipe port). Writes in
 * `open` would be dropped, so nothing is written before the handshake.
 */
import type { Socket } from "bun";
import { TlsConfigError, describe } from "../errors.ts";
import type { TlsListener, TlsListenOptions } from "../tls-types.ts";
import { SocketTransport } from "./socket-transport.ts";

interface Connection {
  transport?: SocketTransport;
  handshakeTimer?: ReturnType<typeof setTimeout>;
}

/** Listens for mutually authenticated TLS connections. Throws TlsConfigError for a bad key/certificate. */
export function listenTls(options: TlsListenOptions): TlsListener {
  let pending = 0;
  const { identity } = options;
  const address = (socket: Socket<Connection>) => formatAddress(socket.remoteAddress, socket.remotePort);
  const settleHandshake = (socket: Socket<Connection>) => {
    if (socket.data.handshakeTimer === undefined) return false;
    clearTimeout(socket.data.handshakeTimer);
    delete socket.data.handshakeTimer;
    pending--;
    return true;
  };
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
          socket.data = {};
          if (pending >= options.maxPendingHandshakes) {
            options.onRefused({ remoteAddress: address(socket), reason: `${pending} handshakes already pending (the limit)` });
            socket.terminate();
            return;
          }
          pending++;
          socket.data.handshakeTimer = setTimeout(() => {
            if (!settleHandshake(socket)) return;
            options.onRefused({ remoteAddress: address(socket), reason: `no TLS handshake within ${options.handshakeTimeoutMs} ms` });
            socket.terminate();
          }, options.handshakeTimeoutMs);
        },
        handshake(socket, success, authorizationError) {
          if (!settleHandshake(socket)) return;
          // `success` can be true for a certificate from another CA: `authorized` is the verdict.
          if (!success || !socket.authorized) {
            const error = authorizationError ?? socket.getAuthorizationError();
            const subject = socket.getPeerX509Certificate()?.subject?.replaceAll("\n", ", ");
            options.onRefused({
              remoteAddress: address(socket),
              reason: refusalReason(error),
              ...(subject ? { peerSubject: subject } : {}),
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
    throw new TlsConfigError(`Cannot listen on ${formatAddress(options.hostname, options.port)}: ${describe(error)}`, { cause: error });
  }
  return {
    hostname: listener.hostname,
    port: listener.port,
    get pendingHandshakes() {
      return pending;
    },
    stop: (closeActive = false) => listener.stop(closeActive),
  };
}

/** "host:port", with brackets for IPv6. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Turns OpenSSL's wording into what an operator needs to read. */
function refusalReason(error: Error | null): string {
  const text = error?.message ?? "handshake failed";
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE/i.test(text)) return "no client certificate presented";
  if (/unable to (verify|get local issuer)|self.signed|first certificate/i.test(text)) return `certificate not issued by our CA (${text})`;
  if (/expired/i.test(text)) return `certificate has expired (${text})`;
  if (/not yet valid/i.test(text)) return `certificate is not yet valid (${text})`;
  if (/revoked/i.test(text)) return `certificate has been revoked (${text})`;
  return text;
}
