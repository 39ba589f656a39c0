/**
 * mTLS dial on Bun.connect. `Bun.connect` resolves before the handshake, so
 * the transport is handed out from `open` (after the handshake), never
 * earlier: a write before that would be lost.
 */
import type { Socket } from "bun";
import { DialAttempt } from "../_dial.ts";
import { dialReason } from "../_tls-reasons.ts";
import { describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { SocketTransport } from "./socket-transport.ts";

interface Connection {
  transport?: SocketTransport;
}

/** Connects and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<SocketTransport> {
  const { identity } = options;
  let socketRef: Socket<Connection> | undefined;
  const attempt = new DialAttempt<SocketTransport>(options.hostname, options.port, options.timeoutMs, () => socketRef?.terminate());
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
        if (attempt.settled) return void socket.terminate();
        if (!socket.authorized) {
          attempt.fail(`server certificate refused: ${describe(socket.getAuthorizationError())}`);
          return void socket.terminate();
        }
        const der = socket.getPeerX509Certificate()?.raw;
        const transport = new SocketTransport(socket as never, {
          remoteAddress: attempt.target,
          ...(der ? { certificateDer: new Uint8Array(der) } : {}),
        });
        socket.data.transport = transport;
        attempt.succeed(transport);
      },
      data(socket, data) {
        socket.data.transport?.onData(data);
      },
      drain(socket) {
        socket.data.transport?.onDrain();
      },
      close(socket, error) {
        if (!socket.data.transport) attempt.fail(error ? describe(error) : "closed during the TLS handshake", error);
        socket.data.transport?.onClose(error);
      },
      error(socket, error) {
        if (!socket.data.transport) attempt.fail(dialReason(describe(error)), error);
        socket.data.transport?.onClose(error);
      },
      connectError(_socket, error) {
        attempt.fail(describe(error), error);
      },
    },
  }).then(
    (socket) => (socketRef ??= socket),
    (error: unknown) => attempt.fail(describe(error), error),
  );
  return attempt.promise;
}
