/**
 * A Runtime whose TLS follows a live identity (identity-source.ts), so that
 * neither the server nor the client core needs to know about reloads:
 *
 * - dial: every connection attempt uses the identity in force at that moment;
 *   the established pipe is left alone.
 * - listen: on a change of key, certificate, CA or CRL a new listener takes
 *   the port at once (the TLS context of a listener cannot be swapped) and
 *   the old one stops accepting; established connections stay with it.
 * - revocation: connections whose client certificate serial is revoked are
 *   refused on accept (also when the CRL lapsed and TLS no longer gets it) and
 *   cut when the revocation list changes.
 */
import type { Logger } from "../log/index.ts";
import { revocationCheck } from "../pki/index.ts";
import type { Transport, TransportSink } from "../pipe/index.ts";
import type { Runtime, TlsIdentity, TlsListener, TlsListenOptions } from "../runtime/index.ts";
import type { IdentitySource } from "./identity-source.ts";
import { peerCertificate } from "./peer-certificate.ts";
import type { LoadedIdentity } from "./node-identity.ts";

/** Wraps `runtime` so that its TLS uses `source`'s current identity; the identity in the options is ignored. */
export function followIdentity(runtime: Runtime, source: IdentitySource, log: Logger): Runtime {
  return {
    name: runtime.name,
    serveHttp: (options) => runtime.serveHttp(options),
    connectTls: (options) => runtime.connectTls({ ...options, identity: source.current.identity }),
    listenTls: (options) => rotatingListener(runtime, options, source, log),
  };
}

/** An accepted connection and the client certificate it was accepted with. */
interface Accepted {
  readonly transport: Transport;
  readonly cn: string;
  readonly serial: string;
  /** Ends the connection for a reason its pipe tells the peer. */
  end?: (reason: Error) => void;
}

function rotatingListener(runtime: Runtime, options: TlsListenOptions, source: IdentitySource, log: Logger): TlsListener {
  const accepted = new Set<Accepted>();
  const retired: TlsListener[] = [];

  const admit = async (transport: Transport) => {
    const certificate = await peerCertificate(transport.peer);
    const serial = certificate?.serialHex ?? "";
    if (source.current.revoked.has(serial)) {
      const refused = { remoteAddress: transport.peer.remoteAddress, reason: `certificate has been revoked (serial ${serial})` };
      options.onRefused(certificate?.subject ? { ...refused, peerSubject: certificate.subject } : refused);
      transport.close();
      return;
    }
    const entry: Accepted = { transport, cn: certificate?.subjectCn ?? "", serial };
    accepted.add(entry);
    options.onConnection(onClosed(transport, entry, () => accepted.delete(entry)));
  };

  const listen = (identity: TlsIdentity, port: number) => {
    const check = revocationCheck(identity.caPem, identity.crlPem); // for an adapter whose TLS ignores the CRL (Deno)
    return runtime.listenTls({ ...options, port, identity, ...(check ? { revocationCheck: check } : {}), onConnection: (transport) => void admit(transport) });
  };
  let current = listen(source.current.identity, options.port);

  const relisten = (next: LoadedIdentity, previous: LoadedIdentity) => {
    const started = performance.now();
    current.stop(false); // established connections stay with the old listener
    retired.push(current);
    try {
      current = listen(next.identity, current.port);
    } catch (error) {
      log.error("cannot listen with the new identity: listening with the previous one", { reason: (error as Error).message });
      current = listen(previous.identity, current.port);
      return;
    }
    log.info("pipe listener switched to the new identity", { gapMs: Number((performance.now() - started).toFixed(3)), connections: accepted.size });
  };

  source.onChange((next, previous) => {
    if (tlsChanged(next.identity, previous.identity)) relisten(next, previous);
    for (const entry of accepted) {
      if (!next.revoked.has(entry.serial)) continue;
      log.warn("client revoked: disconnecting", { client: entry.cn, serial: entry.serial, remote: entry.transport.peer.remoteAddress });
      const reason = new Error(`the client certificate has been revoked (serial ${entry.serial})`);
      if (entry.end) entry.end(reason);
      else entry.transport.close();
    }
  });

  return {
    get hostname() {
      return current.hostname;
    },
    get port() {
      return current.port;
    },
    get pendingHandshakes() {
      return [current, ...retired].reduce((sum, listener) => sum + listener.pendingHandshakes, 0);
    },
    stop(closeActive = false) {
      current.stop(closeActive);
      if (closeActive) for (const listener of retired) listener.stop(true);
    },
  };
}

function tlsChanged(a: TlsIdentity, b: TlsIdentity): boolean {
  return a.keyPem !== b.keyPem || a.certPem !== b.certPem || a.caPem !== b.caPem || a.passphrase !== b.passphrase || a.crlPem !== b.crlPem;
}

/**
 * `transport`, reporting its end (or its user closing it) to `closed` first; everything else passes through.
 * `entry.end(reason)` then asks its user to close for that reason (the pipe tells the peer why), or closes it.
 */
function onClosed(transport: Transport, entry: { end?: (reason: Error) => void }, closed: () => void): Transport {
  return new TrackedTransport(transport, entry, closed);
}

/**
 * `transport`, telling the listener when it closes: a class rather than an object of closures, since every
 * accepted connection has one for its whole life (ten closures each were a visible share of an idle client's cost).
 */
class TrackedTransport implements Transport, TransportSink {
  readonly peer: Transport["peer"];
  readonly scheduleFlush: Transport["scheduleFlush"];
  #sink: TransportSink | undefined;

  constructor(
    readonly inner: Transport,
    readonly entry: { end?: (reason: Error) => void },
    readonly onEnd: () => void,
  ) {
    this.peer = inner.peer;
    this.scheduleFlush = inner.scheduleFlush;
    entry.end = () => inner.close();
  }

  start(sink: TransportSink): void {
    this.#sink = sink;
    this.entry.end = (reason) => (sink.closeRequested ? sink.closeRequested(reason) : this.inner.close());
    this.inner.start(this);
  }

  data(chunk: Uint8Array): void {
    this.#sink?.data(chunk);
  }

  drain(): void {
    this.#sink?.drain();
  }

  closed(error?: Error): void {
    this.onEnd();
    this.#sink?.closed(error);
  }

  write(bytes: Uint8Array): boolean {
    return this.inner.write(bytes);
  }

  /** As the wrapped transport: this one keeps nothing of a write. */
  get copiesWrites(): boolean {
    return this.inner.copiesWrites === true;
  }

  release(chunk: Uint8Array): void {
    this.inner.release?.(chunk);
  }

  pauseReading(): void {
    this.inner.pauseReading();
  }

  resumeReading(): void {
    this.inner.resumeReading();
  }

  preferSmallRecords(): void {
    this.inner.preferSmallRecords?.();
  }

  close(): void {
    this.onEnd();
    this.inner.close();
  }
}
