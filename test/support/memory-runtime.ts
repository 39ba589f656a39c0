/**
 * A Runtime in memory, for component tests of whole nodes (startServer,
 * startClient) under the fake clock: listeners by port, dials that reach
 * them over a memory transport pair carrying each side's certificate (so
 * names come from real CNs), a TLS check reduced to "both trust the same
 * CA", and fronts answered by calling their fetch. No socket, no timer of
 * its own: every delay a test sees comes from the node's clock.
 */
import { createCa, issueCertificate, pemBlocks, type PemIdentity } from "../../src/pki/index.ts";
import type { Transport } from "../../src/pipe/index.ts";
import {
  TlsConfigError,
  TransportError,
  type HttpServeOptions,
  type HttpServer,
  type Runtime,
  type TlsConnectOptions,
  type TlsIdentity,
  type TlsListener,
  type TlsListenOptions,
} from "../../src/runtime/index.ts";
import { memoryPair, type MemoryTransport } from "./memory-transport.ts";

/** A connection the network carries: the dialling end, the accepting end, and the port it reached. */
export interface MemoryConnection {
  readonly port: number;
  readonly client: MemoryTransport;
  readonly server: MemoryTransport;
}

interface Listening {
  readonly options: TlsListenOptions;
  readonly accepted: Set<MemoryTransport>;
}

function certificateDer(identity: TlsIdentity): Uint8Array {
  return pemBlocks(identity.certPem).find((block) => block.label === "CERTIFICATE")!.der;
}

/** Loopback in memory: what every node of a test listens on and dials. */
export class MemoryNetwork {
  readonly #listeners = new Map<number, Listening>();
  readonly #fronts = new Map<string, HttpServeOptions["fetch"]>();
  #nextPort = 40_000;
  #nextRemotePort = 50_000;
  /** Every connection made, in order (a test cuts or silences them to play a network fault). */
  readonly connections: MemoryConnection[] = [];
  /** Dials refused because nothing listened. */
  refusedDials = 0;

  /** A Runtime whose listeners, dials and fronts are on this network. */
  runtime(): Runtime {
    return {
      name: "memory",
      listenTls: (options) => this.#listen(options),
      connectTls: (options) => this.#dial(options),
      serveHttp: (options) => this.#serve(options),
    };
  }

  /** Sends a request to a front of this network ("http://127.0.0.1:40001/server/time"). */
  async fetch(url: string, init?: RequestInit): Promise<Response> {
    const { origin } = new URL(url);
    const fetch = this.#fronts.get(origin);
    if (fetch === undefined) throw new TransportError(`Cannot reach the front at ${url}: nothing listens there`);
    return await fetch(new Request(url, init));
  }

  /** The listening ports. */
  get ports(): number[] {
    return [...this.#listeners.keys()];
  }

  #listen(options: TlsListenOptions): TlsListener {
    const port = options.port === 0 ? this.#nextPort++ : options.port;
    if (this.#listeners.has(port)) throw new TlsConfigError(`Cannot listen on ${options.hostname}:${port}: address already in use`);
    const listening: Listening = { options, accepted: new Set() };
    this.#listeners.set(port, listening);
    return {
      hostname: options.hostname,
      port,
      pendingHandshakes: 0,
      stop: (closeActive = false) => {
        if (this.#listeners.get(port) === listening) this.#listeners.delete(port);
        if (closeActive) for (const transport of listening.accepted) transport.close();
      },
    };
  }

  async #dial(options: TlsConnectOptions): Promise<Transport> {
    await Promise.resolve(); // a dial never completes in the caller's turn
    const listening = this.#listeners.get(options.port);
    if (listening === undefined) {
      this.refusedDials++;
      throw new TransportError(`Cannot connect to ${options.hostname}:${options.port}: connection refused`);
    }
    const server = listening.options.identity;
    const remoteAddress = `127.0.0.1:${this.#nextRemotePort++}`;
    if (options.identity.caPem !== server.caPem) {
      listening.options.onRefused({ remoteAddress, reason: "certificate verify failed: the client's certificate is not from this server's CA" });
      throw new TransportError(`Cannot connect to ${options.hostname}:${options.port}: the TLS handshake failed`);
    }
    const [client, accepted] = memoryPair({}, [
      { remoteAddress: `${options.hostname}:${options.port}`, certificateDer: certificateDer(server) },
      { remoteAddress, certificateDer: certificateDer(options.identity) },
    ]);
    this.connections.push({ port: options.port, client, server: accepted });
    listening.accepted.add(accepted);
    listening.options.onConnection(accepted);
    return client;
  }

  #serve(options: HttpServeOptions): HttpServer {
    if (options.listen.kind !== "tcp") throw new TlsConfigError("Cannot serve a memory front on a unix socket");
    const port = options.listen.port === 0 ? this.#nextPort++ : options.listen.port;
    const url = `http://127.0.0.1:${port}`;
    if (this.#fronts.has(url)) throw new TlsConfigError(`Cannot listen on 127.0.0.1:${port}: address already in use`);
    this.#fronts.set(url, options.fetch);
    return {
      url,
      port,
      stop: async () => void this.#fronts.delete(url),
      // No idle timeout in memory: nothing to lift.
      holdOpen: () => () => {},
    };
  }
}

/** Identities made in memory (no files, so it runs where tests may not write): a server and clients of one CA. */
export interface MemoryPki {
  readonly server: TlsIdentity;
  client(cn: string): Promise<TlsIdentity>;
  /** A client whose certificate and trust come from another CA: the memory listener refuses it. */
  foreignClient(cn: string): Promise<TlsIdentity>;
}

let memoryCa: Promise<PemIdentity> | undefined;
let foreignCa: Promise<PemIdentity> | undefined;

/** A server identity (CN localhost) and a maker of client identities, all from one CA made once per process. */
export async function memoryPki(): Promise<MemoryPki> {
  const ca = await (memoryCa ??= createCa({ cn: "RestPipe Memory CA" }));
  const identity = (issued: PemIdentity): TlsIdentity => ({ keyPem: issued.keyPem, certPem: issued.certPem, caPem: ca.certPem });
  const server = identity(await issueCertificate({ ca, role: "server", cn: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }));
  return {
    server,
    client: async (cn) => identity(await issueCertificate({ ca, role: "client", cn })),
    foreignClient: async (cn) => {
      const other = await (foreignCa ??= createCa({ cn: "Foreign Memory CA" }));
      const issued = await issueCertificate({ ca: other, role: "client", cn });
      return { keyPem: issued.keyPem, certPem: issued.certPem, caPem: other.certPem };
    },
  };
}
