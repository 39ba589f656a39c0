/** Runtime-neutral shapes of the TLS listener and dialer that each runtime adapter implements. */
import type { Transport } from "../pipe/index.ts";
import type { ProxyEndpoint } from "../proxy/index.ts";

/** PEM material of a node's identity. */
export interface TlsIdentity {
  readonly keyPem: string;
  readonly certPem: string;
  /** The CA that peers' certificates must chain to. */
  readonly caPem: string;
  readonly passphrase?: string;
  /** PEM CRLs: peers listed there are refused during the handshake. */
  readonly crlPem?: string;
}

/** Why a connection was refused before it became a pipe. */
export interface RefusedConnection {
  readonly remoteAddress: string;
  readonly reason: string;
  /** Subject of the certificate the peer presented, if any (e.g. "CN=client-1"). */
  readonly peerSubject?: string;
  /** The DER of that certificate, when the TLS stack gives it: the refusal can then be explained in RestPipe's words. */
  readonly peerCertificateDer?: Uint8Array;
}

/** Options of an mTLS listener. */
export interface TlsListenOptions {
  readonly hostname: string;
  readonly port: number;
  readonly identity: TlsIdentity;
  /** A connection that has not finished its handshake by then is cut. */
  readonly handshakeTimeoutMs: number;
  /** Connections still in their handshake beyond this many are cut at once. */
  readonly maxPendingHandshakes: number;
  /** An authenticated connection (the peer presented a certificate that chains to the CA). */
  readonly onConnection: (transport: Transport) => void;
  /** A connection refused during or before the handshake. */
  readonly onRefused: (refused: RefusedConnection) => void;
  /**
   * The CRL check of `identity.crlPem`, for an adapter whose TLS ignores the CRL (Deno): why the client certificate
   * must be refused, or undefined. Built by the composition root, so that runtime/ needs no X.509 code.
   */
  readonly revocationCheck?: (der: Uint8Array | undefined) => Promise<string | undefined>;
}

/** A listening mTLS server. */
export interface TlsListener {
  readonly hostname: string;
  readonly port: number;
  /** Connections in their TLS handshake right now. */
  readonly pendingHandshakes: number;
  /** Stops accepting; `closeActive` also cuts established connections. */
  stop(closeActive?: boolean): void;
}

/** Options of an mTLS dial. */
export interface TlsConnectOptions {
  readonly hostname: string;
  readonly port: number;
  readonly identity: TlsIdentity;
  /** The name the server certificate must carry (default: hostname). */
  readonly serverName?: string;
  /** Give up when the TCP connection and handshake take longer (the proxy's CONNECT included). */
  readonly timeoutMs: number;
  /** Dial through this HTTP proxy (CONNECT), with mTLS end to end inside the tunnel. */
  readonly proxy?: ProxyEndpoint;
  /**
   * The local address to dial from (Bun adapter only; the swarm benchmark spreads its clients over
   * 127.0.0.x with it, since one source address has only ~28,000 ephemeral ports towards one server port).
   */
  readonly localAddress?: string;
}
