/**
 * mTLS dial on Bun.connect, directly or through an HTTP proxy (plain TCP to
 * the proxy, CONNECT, then `upgradeTLS` on the same socket with the same
 * TLS options). `Bun.connect` resolves before the handshake, so the
 * transport is handed out from `open` (after the handshake), never earlier:
 * a write before that would be lost.
 */
import type { Socket, SocketHandler, TLSOptions } from "bun";
import { TunnelHandshake } from "../../proxy/index.ts";
import { DialAttempt } from "../_dial.ts";
import { PROXY_CLOSED, PROXY_RECORD_BYTES, proxyFailure, proxyUnreachable, TUNNEL_CLOSED, WAITING_FOR_PROXY, WAITING_FOR_TUNNEL } from "../_proxy-reasons.ts";
import { dialReason, serverCertificateReason } from "../_tls-reasons.ts";
import { describe } from "../errors.ts";
import type { TlsConnectOptions } from "../tls-types.ts";
import { SocketTransport } from "./socket-transport.ts";

interface Connection {
  transport?: SocketTransport;
}

/** Connects (through the proxy when one is given) and completes the TLS handshake; rejects with TransportError. */
export function connectTls(options: TlsConnectOptions): Promise<SocketTransport> {
  let socketRef: Socket<Connection> | Socket<undefined> | undefined;
  const keep = (socket: Socket<Connection> | Socket<undefined>) => void (socketRef = socket);
  const attempt = new DialAttempt<SocketTransport>(options.hostname, options.port, options.timeoutMs, () => socketRef?.terminate(), options.proxy);
  const tls = tlsOptions(options);
  const handlers = tlsHandlers(attempt, keep, options.proxy !== undefined);
  if (options.proxy !== undefined) {
    dialProxy(options, attempt, tls, handlers, keep);
    return attempt.promise;
  }
  // `localAddress` works in Bun.connect though its types do not list it (checked on 1.4.4: the server sees that address).
  const local = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
  Bun.connect<Connection>({ hostname: options.hostname, port: options.port, data: {}, tls, socket: handlers, ...local }).then(
    (socket) => (socketRef ??= socket),
    (error: unknown) => attempt.fail(describe(error), error),
  );
  return attempt.promise;
}

function tlsOptions(options: TlsConnectOptions): TLSOptions {
  const { identity } = options;
  return {
    key: identity.keyPem,
    cert: identity.certPem,
    ca: identity.caPem,
    ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
    serverName: options.serverName ?? options.hostname,
    rejectUnauthorized: true, // explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off
  };
}

/** The handlers of the TLS socket (direct, or upgraded inside the tunnel). */
function tlsHandlers(attempt: DialAttempt<SocketTransport>, keep: (socket: Socket<Connection>) => void, proxied: boolean): SocketHandler<Connection> {
  return {
    open(socket) {
      keep(socket);
      if (attempt.settled) return void socket.terminate();
      if (!socket.authorized) {
        attempt.fail(serverCertificateReason(describe(socket.getAuthorizationError()), socket.getPeerX509Certificate()?.issuer));
        return void socket.terminate();
      }
      const der = socket.getPeerX509Certificate()?.raw;
      const transport = new SocketTransport(
        socket as never,
        { remoteAddress: attempt.target, ...(der ? { certificateDer: new Uint8Array(der) } : {}) },
        proxied ? PROXY_RECORD_BYTES : undefined,
      );
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
      if (!socket.data.transport) attempt.fail(error ? describe(error) : proxied ? TUNNEL_CLOSED : "closed during the TLS handshake", error);
      socket.data.transport?.onClose(error);
    },
    error(socket, error) {
      if (!socket.data.transport) attempt.fail(dialReason(describe(error)), error);
      socket.data.transport?.onClose(error);
    },
    connectError(_socket, error) {
      attempt.fail(describe(error), error);
    },
  };
}

/** TCP to the proxy, CONNECT, then TLS on the same socket once the proxy answered 2xx. */
function dialProxy(
  options: TlsConnectOptions,
  attempt: DialAttempt<SocketTransport>,
  tls: TLSOptions,
  handlers: SocketHandler<Connection>,
  keep: (socket: Socket<undefined> | Socket<Connection>) => void,
): void {
  const proxy = options.proxy!;
  const handshake = new TunnelHandshake(options.hostname, options.port, proxy);
  attempt.waitingFor = WAITING_FOR_PROXY;
  let upgraded = false;
  Bun.connect({
    hostname: proxy.host,
    port: proxy.port,
    socket: {
      open(raw) {
        keep(raw);
        if (attempt.settled) return void raw.terminate();
        raw.setNoDelay(true);
        // A fresh socket takes a few hundred bytes at once; a short write means it is already failing.
        if (raw.write(handshake.request) !== handshake.request.length) attempt.fail("cannot write the CONNECT request to the proxy");
      },
      data(raw, chunk) {
        if (upgraded || attempt.settled) return;
        try {
          if (!handshake.push(chunk)) return;
        } catch (error) {
          attempt.fail(proxyFailure(error), error);
          return void raw.terminate();
        }
        upgraded = true;
        attempt.waitingFor = WAITING_FOR_TUNNEL;
        const [, secure] = raw.upgradeTLS<Connection>({ data: {}, tls, socket: handlers });
        keep(secure);
      },
      close() {
        if (!upgraded) attempt.fail(PROXY_CLOSED);
      },
      error(_raw, error) {
        if (!upgraded) attempt.fail(proxyUnreachable(error), error);
      },
      connectError(_raw, error) {
        attempt.fail(proxyUnreachable(error), error);
      },
    },
  }).then(
    (raw) => socketRef(raw),
    (error: unknown) => attempt.fail(proxyUnreachable(error), error),
  );
  function socketRef(raw: Socket<undefined>) {
    if (!upgraded) keep(raw);
  }
}
