/**
 * mTLS listener on node:tls (Deno.listenTls ignores client-certificate
 * options). Deno's node:tls enforces the CA during the handshake but says
 * little about why it refused a client (see `handshakeFailure`), and ignores
 * `crl`: the CRL is checked by `options.revocationCheck` (built by the
 * composition root from the X.509 module). Pending handshakes are
 * counted from the raw TCP connection on.
 *
 * node:net binds asynchronously, but the Runtime contract hands back a
 * listener with its port at once (a new identity takes the port over
 * synchronously). So the port is claimed first with Deno.listen, which binds
 * synchronously and throws, then released and bound by node:tls in the same
 * turn of the event loop.
 */
import type { Socket } from "node:net";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { formatAddress } from "../_address.ts";
import { HandshakeGate, type PendingHandshake } from "../_handshakes.ts";
import { refusalReason } from "../_tls-reasons.ts";
import { TlsConfigError, describe } from "../errors.ts";
import type { TlsListener, TlsListenOptions } from "../tls-types.ts";
import { denoApi } from "./deno-api.ts";
import { NodeSocketTransport, peerCertificateDer } from "./socket-transport.ts";

/** One TCP connection on its way through the handshake. */
interface Connection {
  readonly remote: string;
  handshake?: PendingHandshake;
  /** Cut by the gate (over the limit or too slow): already reported. */
  refused: boolean;
}

/** Listens for mutually authenticated TLS connections. Throws TlsConfigError for a bad key/certificate or address. */
export function listenTls(options: TlsListenOptions): TlsListener {
  const where = formatAddress(options.hostname, options.port);
  const { identity } = options;
  let server: Server;
  try {
    server = createServer({
      key: identity.keyPem,
      cert: identity.certPem,
      ca: identity.caPem,
      ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }),
      requestCert: true,
      rejectUnauthorized: true,
    });
  } catch (error) {
    throw new TlsConfigError(`Cannot listen on ${where}: ${describe(error)}`, { cause: error });
  }
  const gate = new HandshakeGate({ timeoutMs: options.handshakeTimeoutMs, maxPending: options.maxPendingHandshakes, onRefused: options.onRefused });
  const revoked = options.revocationCheck;
  const connections = new WeakMap<object, Connection>();
  const open = new Set<{ destroy(): void }>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  };

  server.on("connection", (raw: Socket) => {
    track(raw);
    const connection: Connection = { remote: formatAddress(raw.remoteAddress ?? "unknown", raw.remotePort ?? 0), refused: false };
    connections.set(raw, connection);
    const handshake = gate.admit(connection.remote, () => {
      connection.refused = true;
      raw.destroy();
    });
    if (handshake) connection.handshake = handshake;
    raw.once("close", () => connection.handshake?.settle());
  });

  server.on("secureConnection", (socket: TLSSocket) => {
    const connection = connections.get(rawSocketOf(socket));
    connection?.handshake?.settle();
    if (connection === undefined) {
      options.onRefused({ remoteAddress: formatAddress(socket.remoteAddress ?? "unknown", socket.remotePort ?? 0), reason: UNMATCHED });
      return void socket.destroy();
    }
    if (connection.refused) return void socket.destroy();
    track(socket);
    const der = peerCertificateDer(socket);
    const refuse = (reason: string) => {
      const subject = socket.getPeerX509Certificate()?.subject?.replaceAll("\n", ", ");
      options.onRefused({ remoteAddress: connection.remote, reason, ...(subject ? { peerSubject: subject } : {}) });
      socket.destroy();
    };
    // Not reached with rejectUnauthorized; checked all the same, as on Bun.
    if (!socket.authorized) return refuse(refusalReason(String(socket.authorizationError ?? "handshake failed")));
    const accept = () => options.onConnection(new NodeSocketTransport(socket, { remoteAddress: connection.remote, ...(der ? { certificateDer: der } : {}) }));
    if (revoked === undefined) return accept();
    // Bytes that arrive meanwhile wait in the paused socket.
    void revoked(der).then((reason) => {
      if (socket.destroyed) return;
      if (reason === undefined) accept();
      else refuse(reason);
    });
  });

  server.on("tlsClientError", (error: Error, socket: TLSSocket) => {
    const connection = connections.get(rawSocketOf(socket));
    connection?.handshake?.settle();
    socket.destroy();
    if (connection?.refused) return;
    options.onRefused({ remoteAddress: connection?.remote ?? "unknown address", reason: handshakeFailure(error) });
  });

  const port = claimPort(options.hostname, options.port, where);
  let bound = false;
  let stopped = false;
  server.once("error", (error: Error) => {
    // Only if another process took the port within this turn of the event loop.
    throw new TlsConfigError(`Cannot listen on ${formatAddress(options.hostname, port)}: ${describe(error)}`, { cause: error });
  });
  server.listen(port, options.hostname, () => {
    bound = true;
    server.removeAllListeners("error");
    server.on("error", () => {}); // an accept error (EMFILE, ...) loses that one connection, not the listener
    if (stopped) server.close();
  });
  return {
    hostname: options.hostname,
    port,
    get pendingHandshakes() {
      return gate.pending;
    },
    stop(closeActive = false) {
      if (!stopped && bound) server.close();
      stopped = true;
      if (closeActive) for (const socket of open) socket.destroy();
    },
  };
}

/** Binds and releases the port synchronously: the bound port (for port 0), or TlsConfigError (in use, not permitted, ...). */
function claimPort(hostname: string, port: number, where: string): number {
  try {
    const claim = denoApi().listen({ hostname, port });
    const bound = claim.addr.port;
    claim.close();
    return bound;
  } catch (error) {
    throw new TlsConfigError(`Cannot listen on ${where}: ${describe(error)}`, { cause: error });
  }
}

/** Fails closed should node:tls's internals change: a connection whose handshake was not counted is not trusted. */
const UNMATCHED = "cannot match the TLS connection to its TCP connection (node:tls internals changed?)";

/**
 * The TCP socket under a TLS socket. node:tls (Node's and Deno's) keeps it as
 * `_parent`; it is the only link between the "connection" event, where the
 * handshake starts, and the events where it ends.
 */
function rawSocketOf(socket: TLSSocket): object {
  return (socket as unknown as { _parent?: object })._parent ?? socket;
}

/**
 * Deno reports a client certificate it refused (another CA, expired, not
 * yet valid) only as the connection closing mid-handshake (ECONNRESET,
 * "socket hang up"), which is also what a client that hangs up looks like.
 */
function handshakeFailure(error: Error): string {
  const text = describe(error);
  if ("code" in error && error.code === "ECONNRESET") {
    return `closed during the TLS handshake (${text}): a client certificate from another CA, expired or not yet valid ends this way on Deno, as does a client that hangs up`;
  }
  return refusalReason(text);
}
