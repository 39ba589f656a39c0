/**
 * mTLS dial on Bun.connect. `Bun.connect` resolves before the handshake, so
 * the transport is handed out from `open` (after the handshake), never
 * earlier: a write before that would be lost.
 */
import type { Socket } from "bun";
import { TransportError, describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { formatAddress } from "./tls-server.ts";
import { SocketTransport } from "./socket-transport.ts";

interface Connection {
  transport?: SocketTransport;
}

/** Connects and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<SocketTransport> {
  const target = formatAddress(options.hostname, options.port);
  const { identity } = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new TransportError(`Cannot connect to ${target}: ${message}`, { cause }));
    };
    let socketRef: Socket<Connection> | undefined;
    const timer = setTimeout(() => {
      fail(`no TLS connection within ${options.timeoutMs} ms`);
      socketRef?.terminate();
    }, options.timeoutMs);
    Bun.connect<Connection>({
      hostname: options.hostname,
      port: options.port,
      data: {},
      tls: {
        key: identity.keyPem,
        cert: identity.certPem,
        ca: identity.caPem,
        ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
        serverName: options.serverName ?? options.hostname,
        rejectUnauthorized: true, // explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off
      },
      socket: {
        open(socket) {
          socketRef = socket;
          if (settled) return void socket.terminate();
          if (!socket.authorized) {
            fail(`server certificate refused: ${describe(socket.getAuthorizationError())}`);
            return void socket.terminate();
          }
          const der = socket.getPeerX509Certificate()?.raw;
          const transport = new SocketTransport(socket as never, {
            remoteAddress: target,
            ...(der ? { certificateDer: new Uint8Array(der) } : {}),
          });
          socket.data.transport = transport;
          settled = true;
          clearTimeout(timer);
          resolve(transport);
        },
        data(socket, data) {
          socket.data.transport?.onData(data);
        },
        drain(socket) {
          socket.data.transport?.onDrain();
        },
        close(socket, error) {
          if (!socket.data.transport) fail(error ? describe(error) : "closed during the TLS handshake", error);
          socket.data.transport?.onClose(error);
        },
        error(socket, error) {
          if (!socket.data.transport) fail(tlsReason(error), error);
          socket.data.transport?.onClose(error);
        },
        connectError(_socket, error) {
          fail(describe(error), error);
        },
      },
    }).then(
      (socket) => (socketRef ??= socket),
      (error: unknown) => fail(describe(error), error),
    );
  });
}

function tlsReason(error: Error): string {
  const text = describe(error);
  if (/CERTIFICATE_REQUIRED/i.test(text)) return `the server requires a client certificate (${text})`;
  if (/hostname|altname|IP: .* is not in the cert/i.test(text)) return `server certificate does not match the name (${text})`;
  return text;
}
