/**
 * HTTP proxies for the tests: a real Debian tinyproxy started on loopback
 * with a generated config (it cannot bind port 0, so a free port is found
 * first), and a scripted CONNECT proxy that misbehaves on purpose: refuses
 * with a given answer, opens the tunnel and black-holes it, or opens it to
 * a TLS server of its own (a TLS-inspecting proxy with another CA).
 */
import type { Socket, TCPSocketListener } from "bun";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCa, issueCertificate } from "../../src/pki/index.ts";
import { NodeProcess } from "./processes.ts";
import { sleep } from "./wait.ts";

/** A free TCP port on 127.0.0.1 (bound, then released: for programs that cannot bind port 0). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs`. */
export async function acceptsConnections(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const up = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (socket) => (socket.end(), true),
      () => false,
    );
    if (up) return;
    if (performance.now() > deadline) throw new Error(`nothing accepts connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Options of a tinyproxy. */
export interface TinyproxyOptions {
  /** Require Basic auth with this user and password. */
  readonly basicAuth?: { readonly user: string; readonly password: string };
  /** Forward every tunnel through this parent proxy (`upstream http`), e.g. with credentials: `alice:pw@127.0.0.1:3128`. */
  readonly upstream?: string;
  /** Listen here (default: a free port). */
  readonly port?: number;
  /** Extra environment of the process (e.g. an LD_PRELOAD for a diagnostic run). */
  readonly env?: Record<string, string>;
}

/** A running tinyproxy (foreground, its log collected). */
export class Tinyproxy {
  readonly port: number;
  readonly #dir: string;
  readonly #options: TinyproxyOptions;
  #proc: NodeProcess | undefined;

  private constructor(dir: string, port: number, options: TinyproxyOptions) {
    this.#dir = dir;
    this.port = port;
    this.#options = options;
  }

  /** Starts tinyproxy on 127.0.0.1; resolves once it accepts connections. */
  static async start(options: TinyproxyOptions = {}): Promise<Tinyproxy> {
    const proxy = new Tinyproxy(await mkdtemp(join(tmpdir(), "restpipe-tinyproxy-")), options.port ?? freePort(), options);
    await proxy.resume();
    return proxy;
  }

  /** `http://127.0.0.1:PORT`, with `user:password@` when given. */
  url(credentials?: { readonly user: string; readonly password: string }): string {
    const auth = credentials === undefined ? "" : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
    return `http://${auth}127.0.0.1:${this.port}`;
  }

  /** Its log lines so far. */
  get logs(): string[] {
    try {
      return readFileSync(join(this.#dir, "tinyproxy.log"), "utf8").split("\n");
    } catch {
      return [];
    }
  }

  /** Starts it again on the same port (after `pause`). */
  async resume(): Promise<void> {
    const { basicAuth, upstream } = this.#options;
    const config = [
      `Port ${this.port}`,
      "Listen 127.0.0.1",
      "Timeout 600",
      "MaxClients 256",
      "LogLevel Connect",
      // Its standard output is block-buffered into a pipe: the log file is where lines show up at once.
      `LogFile "${join(this.#dir, "tinyproxy.log")}"`,
      "Allow 127.0.0.1",
      ...(basicAuth === undefined ? [] : [`BasicAuth ${basicAuth.user} ${basicAuth.password}`]),
      ...(upstream === undefined ? [] : [`Upstream http ${upstream}`]),
    ].join("\n");
    const path = join(this.#dir, "tinyproxy.conf");
    await writeFile(path, `${config}\n`);
    this.#proc = new NodeProcess(["tinyproxy", "-d", "-c", path], this.#options.env ?? {});
    const proc = this.#proc;
    let up = false;
    const exited = proc.result().then(({ code, stdout, stderr }) => {
      if (!up) throw new Error(`tinyproxy exited with ${code} before accepting connections:\n${stdout}\n${stderr}\n${this.logs.join("\n")}`);
    });
    await Promise.race([acceptsConnections(this.port, 10_000), exited]);
    up = true;
  }

  /** Stops the process (tunnels through it break); `resume` starts it again. */
  async pause(): Promise<void> {
    await this.#proc?.stop("SIGKILL");
    this.#proc = undefined;
  }

  /** Stops it and removes its directory. */
  async stop(): Promise<void> {
    await this.pause();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** What the scripted proxy does with a CONNECT. */
export type ScriptedBehaviour =
  /** Answers these exact bytes and closes. */
  | { readonly kind: "answer"; readonly bytes: string }
  /** Reads the CONNECT and never answers. */
  | { readonly kind: "silent" }
  /** Answers 200, then forwards nothing in either direction and never closes. */
  | { readonly kind: "black-hole" }
  /** Answers 200 and relays to 127.0.0.1:port whatever the CONNECT asked for. */
  | { readonly kind: "relay"; readonly port: number };

interface Conn {
  head: string;
  peer?: Socket<Conn>;
  pending: Uint8Array[];
  open: boolean;
}

/** A CONNECT proxy on 127.0.0.1 that behaves as scripted; `requests` holds each CONNECT head it received. */
export class ScriptedProxy {
  readonly requests: string[] = [];
  /** What a relay carried, per direction, chunk by chunk (the TLS bytes of the tunnel). */
  readonly carried = { toServer: [] as Uint8Array[], toClient: [] as Uint8Array[] };
  readonly #listener: TCPSocketListener<Conn>;
  readonly #sockets = new Set<Socket<Conn>>();

  constructor(behaviour: ScriptedBehaviour) {
    const sockets = this.#sockets;
    const requests = this.requests;
    const carried = this.carried;
    this.#listener = Bun.listen<Conn>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          socket.data = { head: "", pending: [], open: false };
          sockets.add(socket);
        },
        data(socket, chunk) {
          const conn = socket.data;
          if (conn.open) {
            if (behaviour.kind !== "relay") return;
            carried.toServer.push(new Uint8Array(chunk));
            if (conn.peer) conn.peer.write(chunk);
            else conn.pending.push(chunk);
            return;
          }
          conn.head += new TextDecoder().decode(chunk);
          if (!conn.head.includes("\r\n\r\n")) return;
          requests.push(conn.head);
          if (behaviour.kind === "silent") return;
          if (behaviour.kind === "answer") {
            socket.end(behaviour.bytes);
            return;
          }
          conn.open = true;
          socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
          if (behaviour.kind === "relay") {
            void Bun.connect<Conn>({
              hostname: "127.0.0.1",
              port: behaviour.port,
              data: { head: "", peer: socket, pending: [], open: true },
              socket: {
                open(upstream) {
                  sockets.add(upstream);
                  conn.peer = upstream;
                  for (const early of conn.pending) upstream.write(early);
                  conn.pending = [];
                },
                data: (upstream, bytes) => {
                  carried.toClient.push(new Uint8Array(bytes));
                  upstream.data.peer?.write(bytes);
                },
                close: (upstream) => void upstream.data.peer?.end(),
                error: (upstream) => void upstream.data.peer?.end(),
              },
            });
          }
        },
        close(socket) {
          sockets.delete(socket);
          socket.data.peer?.end();
        },
        error(socket) {
          socket.data.peer?.end();
        },
      },
    });
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    return `http://127.0.0.1:${this.#listener.port}`;
  }

  /** Closes the listener and every connection. */
  stop(): void {
    this.#listener.stop(true);
    for (const socket of this.#sockets) socket.terminate();
  }
}

/** The TLS records in a byte stream (chunks concatenated): content type, length and offset of each, in order. */
export function tlsRecords(chunks: readonly Uint8Array[]): Array<{ type: number; length: number; offset: number }> {
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  const records: Array<{ type: number; length: number; offset: number }> = [];
  for (let i = 0; i + 5 <= all.length; i += 5 + ((all[i + 3]! << 8) | all[i + 4]!)) records.push({ type: all[i]!, length: (all[i + 3]! << 8) | all[i + 4]!, offset: i });
  return records;
}

/** A TLS server with a certificate for localhost/127.0.0.1 from another CA (named "Intercepting Proxy CA"): what a TLS-inspecting proxy shows. */
export class InterceptingTlsServer {
  readonly #listener: TCPSocketListener<undefined>;

  private constructor(listener: TCPSocketListener<undefined>) {
    this.#listener = listener;
  }

  /** The CN of the CA that signs the interceptor's certificates. */
  static readonly CA_CN = "Intercepting Proxy CA";

  /** Starts it on 127.0.0.1 port 0. */
  static async start(): Promise<InterceptingTlsServer> {
    const ca = await createCa({ cn: InterceptingTlsServer.CA_CN });
    const leaf = await issueCertificate({ ca, role: "server", cn: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { key: leaf.keyPem, cert: `${leaf.certPem}\n${ca.certPem}` },
      socket: { data() {} },
    });
    return new InterceptingTlsServer(listener);
  }

  /** Its port. */
  get port(): number {
    return this.#listener.port;
  }

  /** Stops it. */
  stop(): void {
    this.#listener.stop(true);
  }
}
