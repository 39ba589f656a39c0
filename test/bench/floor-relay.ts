/**
 * floor-relay: the FLOOR of RestPipe's architecture, with none of RestPipe's code (nothing from src/).
 * An HTTP front (Bun.serve, 127.0.0.1) turns `GET /client/bench/time` and `GET /client/bench/blob//<n>` into
 * frames sent over ONE long-lived mutually-authenticated TLS connection (Bun.listen / Bun.connect) to a client
 * process that answers them; the reply comes back over TLS and goes out as the HTTP response (blobs streamed
 * in <= 64 KiB frames). What it costs is the least a Bun program of this shape can cost: measure it beside
 * direct HTTP and an nginx TLS hop to tell RestPipe's own cost from the runtime's.
 *
 *   bun test/bench/build-floor.ts   (dist/floor-relay, with the binaries' compile flags; peers-floor.sh runs it)
 *   dist/floor-relay server --http 127.0.0.1:18080 --pipe 127.0.0.1:18443 --dir <server identity dir>
 *     [--front elysia]  (the front behind an Elysia app's catch-all, as src/http/front.ts; peers-floor.sh: FLOOR_FRONT=elysia)
 *   dist/floor-relay client --pipe 127.0.0.1:18443 --dir <client identity dir>
 *   GET /client/bench/gen//<n>: n bytes as views of one 1 MiB blob, as test/bench/handlers.ts get_gen (for 1 GiB rows)
 *   --audit <file> (either role): one audit line per `time` request, the least such a line costs (_floor-audit.ts);
 *     --audit-writes none: encoded into a reused buffer, never written
 *   bun test/bench/floor-relay.ts selftest   (framing across arbitrary read cuts)
 *   test/bench/peers-floor.sh     (makes identities with test/bench/identities.ts, starts both; the peers harness's RP_START_CMD)
 *
 * An identity dir holds <role>.key.pem, <role>.crt.pem and <role>.ca.pem (as test/bench/identities.ts writes them).
 *
 * Frame: [u32 length of what follows][u32 stream id][u8 kind][payload], big-endian.
 * Flow control: a per-stream credit window. The client sends at most WINDOW bytes of a blob beyond what the HTTP
 * response has taken; the server writes each data frame straight into a Bun "direct" ReadableStream and returns
 * credit (in CREDIT_BATCH lumps) once that write is accepted by the HTTP socket (at once, or when its backpressure
 * promise resolves). One stream therefore never holds more than WINDOW (+ one frame) in either process, and a slow
 * HTTP reader does not stall the other streams on the shared TLS connection. TCP_NODELAY: Bun's default.
 * Blob responses set Content-Length, but Bun (1.4.4) drops it for a ReadableStream body that is still open when the
 * response starts and sends `Transfer-Encoding: chunked` instead (oven-sh/bun#10507); src/http/front.ts does the same.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Socket } from "bun";
// The origin's bytes (made once per size), so the harness's checksums hold; handlers.ts imports only types from src/.
import { blobBytes } from "./handlers.ts";
import { FloorAudit } from "./_floor-audit.ts";

// Kinds. Server → client: TIME (no payload), BLOB or GEN (f64 size), CREDIT (f64 bytes), CANCEL. Client → server: JSON, START (f64 size), DATA.
// GEN is test/bench/handlers.ts's get_gen: n bytes as views of one cached 1 MiB blob (any size, the pipe measured, not the making of bytes).
const TIME = 1, BLOB = 2, CREDIT = 3, CANCEL = 4, JSON_REPLY = 5, START = 6, DATA = 7, GEN = 8;
const GEN_BLOCK = 1024 * 1024;
const HEAD = 9; // header bytes
const FRAME = 64 * 1024; // the largest frame, header included
const CHUNK = FRAME - HEAD; // the largest data payload
const WINDOW = 4 * 1024 * 1024; // bytes of one blob the client may send beyond what the HTTP response took
const CREDIT_BATCH = WINDOW / 4; // the server returns credit in lumps of at least this
const MAX_BLOB = 64 * 1024 * 1024; // blob//<n> up to this (each size made once and kept); gen//<n> for any size

/** Builds one frame (small frames only: requests, credits, replies). */
function frame(kind: number, id: number, payload?: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEAD + (payload?.length ?? 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, out.length - 4);
  view.setUint32(4, id);
  out[8] = kind;
  if (payload) out.set(payload, HEAD);
  return out;
}
function f64(x: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x);
  return b;
}
const readF64 = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, 8).getFloat64(0);
const readU32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/**
 * Reassembles frames from TLS reads of any size. A frame wholly inside one read is handed on as a view of it (no
 * copy); one split across reads is copied into a buffer of its own size, so the cost is linear whatever the chunking.
 */
export class FrameReader {
  private head = new Uint8Array(HEAD);
  private headFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private id = 0;
  private kind = 0;
  constructor(private readonly onFrame: (kind: number, id: number, payload: Uint8Array) => void) {}
  push(chunk: Uint8Array): void {
    let off = 0;
    const end = chunk.length;
    while (off < end) {
      if (this.body) { // finishing a split frame
        const take = Math.min(this.body.length - this.bodyFill, end - off);
        this.body.set(chunk.subarray(off, off + take), this.bodyFill);
        this.bodyFill += take;
        off += take;
        if (this.bodyFill < this.body.length) return;
        const body = this.body;
        this.body = null;
        this.onFrame(this.kind, this.id, body);
        continue;
      }
      let len: number;
      if (this.headFill === 0 && end - off >= HEAD) { // the usual case: the header is whole in this read
        len = readU32(chunk, off) - 5;
        this.id = readU32(chunk, off + 4);
        this.kind = chunk[off + 8]!;
        off += HEAD;
      } else {
        const take = Math.min(HEAD - this.headFill, end - off);
        this.head.set(chunk.subarray(off, off + take), this.headFill);
        this.headFill += take;
        off += take;
        if (this.headFill < HEAD) return;
        this.headFill = 0;
        len = readU32(this.head, 0) - 5;
        this.id = readU32(this.head, 4);
        this.kind = this.head[8]!;
      }
      if (end - off >= len) {
        this.onFrame(this.kind, this.id, chunk.subarray(off, off + len));
        off += len;
      } else {
        this.body = new Uint8Array(len);
        this.bodyFill = 0;
      }
    }
  }
}

/** Writes to a Bun socket honouring partial writes: what the socket did not take waits for `drain`. */
class Out {
  private queue: Uint8Array[] = [];
  constructor(readonly socket: Socket<undefined>) {}
  get blocked(): boolean {
    return this.queue.length > 0;
  }
  /** Sends `bytes` (copied if they must wait: the caller may reuse them); false when the socket is backpressured. */
  send(bytes: Uint8Array): boolean {
    if (this.queue.length > 0) return this.queue.push(bytes.slice()), false;
    const n = Math.max(0, this.socket.write(bytes));
    if (n === bytes.length) return true;
    this.queue.push(bytes.slice(n));
    return false;
  }
  /** On `drain`: writes what waits; true when all of it went. */
  drain(): boolean {
    while (this.queue.length > 0) {
      const bytes = this.queue[0]!;
      const n = Math.max(0, this.socket.write(bytes));
      if (n < bytes.length) return (this.queue[0] = bytes.subarray(n)), false;
      this.queue.shift();
    }
    return true;
  }
}

function args(): { role: string; opt: Record<string, string> } {
  const [role = "", ...rest] = process.argv.slice(2);
  const opt: Record<string, string> = {};
  for (let i = 0; i + 1 < rest.length; i += 2) opt[rest[i]!.replace(/^--/, "")] = rest[i + 1]!;
  return { role, opt };
}
function hostPort(s: string | undefined, what: string): [string, number] {
  const m = /^(.+):(\d+)$/.exec(s ?? "");
  if (!m) throw new Error(`--${what} host:port is required`);
  return [m[1]!, Number(m[2])];
}
function tlsFiles(dir: string, role: string) {
  const read = (what: string) => readFileSync(join(dir, `${role}.${what}.pem`), "utf8");
  return { key: read("key"), cert: read("crt"), ca: read("ca") };
}

/** Server: the HTTP front and the one TLS socket of the client. */
async function server(opt: Record<string, string>): Promise<void> {
  const [httpHost, httpPort] = hostPort(opt.http, "http");
  const [pipeHost, pipePort] = hostPort(opt.pipe, "pipe");
  let out: Out | null = null;
  let nextId = 1;
  // One HTTP request waiting for, or streaming, its reply. `early`: data frames that came before Bun.serve pulled the body.
  // `--stream pull` (an A/B, not the default): a standard pull stream (highWaterMark 0, as src/ uses) fed from `early`, woken by `wake`.
  interface Pending { resolve: (r: Response) => void; controller?: ReadableStreamDirectController; early: Uint8Array[]; taken: number; left: number; wake?: () => void; startedAt: number }
  const audit = opt.audit === undefined ? undefined : await FloorAudit.open(opt.audit, "out", opt["audit-writes"] !== "none");
  const pullMode = opt.stream === "pull";
  const pending = new Map<number, Pending>();
  const credit = (id: number, p: Pending, n: number) => {
    p.taken += n;
    if (p.taken >= CREDIT_BATCH && p.left > 0) out?.send(frame(CREDIT, id, f64(p.taken))), (p.taken = 0);
  };
  const reader = new FrameReader((kind, id, payload) => {
    const p = pending.get(id);
    if (!p) return; // a stream cancelled meanwhile
    if (kind === JSON_REPLY) {
      pending.delete(id);
      p.resolve(new Response(payload as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/json" } }));
      audit?.line(p.startedAt, performance.now(), payload.length);
    } else if (kind === START) {
      p.left = readF64(payload);
      const source: Bun.DirectUnderlyingSource<Uint8Array> = {
        type: "direct",
        pull(controller) { // called once; returning without close() keeps the stream open until the last DATA frame
          p.controller = controller;
          for (const chunk of p.early) deliver(id, p, chunk);
          p.early = [];
          if (p.left <= 0) pending.delete(id), controller.close();
        },
        cancel() {
          if (pending.delete(id)) out?.send(frame(CANCEL, id));
        },
      };
      const next = (c: ReadableStreamDefaultController<Uint8Array>): void | Promise<void> => {
        const chunk = p.early.shift();
        if (chunk) return c.enqueue(chunk), credit(id, p, chunk.length);
        if (p.left <= 0) return pending.delete(id), c.close();
        return new Promise<void>((wake) => (p.wake = wake)).then(() => next(c));
      };
      const body = pullMode
        ? new ReadableStream<Uint8Array>({ pull: next, cancel: source.cancel! }, { highWaterMark: 0 })
        : new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>);
      p.resolve(new Response(body, { headers: { "content-type": "application/octet-stream", "content-length": String(p.left) } }));
    } else if (kind === DATA) {
      p.left -= payload.length;
      if (pullMode) return p.early.push(payload), p.wake?.(); // kept as views: Bun hands each read in a buffer of its own
      if (!p.controller) return void p.early.push(payload.slice()); // the read buffer is not ours to keep
      deliver(id, p, payload);
      if (p.left <= 0) pending.delete(id), p.controller.close();
    }
  });
  /** Writes a data frame's payload into the HTTP response; its credit goes back once the HTTP socket took it. */
  const deliver = (id: number, p: Pending, chunk: Uint8Array) => {
    const w = p.controller!.write(chunk);
    if (typeof w === "number") credit(id, p, chunk.length);
    else w.then(() => credit(id, p, chunk.length), () => {});
  };
  Bun.listen<undefined>({
    hostname: pipeHost,
    port: pipePort,
    tls: { ...tlsFiles(opt.dir ?? ".", "server"), requestCert: true, rejectUnauthorized: true },
    socket: {
      handshake(socket, success, error) {
        if (!success || error) return void socket.end(); // mTLS: no valid client certificate, no pipe
        out = new Out(socket); // the latest client wins
      },
      data(_socket, data) {
        reader.push(data);
      },
      drain() {
        out?.drain();
      },
      close(socket) {
        if (out?.socket !== socket) return;
        out = null;
        for (const p of pending.values()) p.controller ? p.controller.close(new Error("pipe closed")) : p.resolve(fail());
        pending.clear();
      },
      error() {},
    },
  });
  const fail = () => new Response("no client\n", { status: 502 });
  const handle = (req: Request): Response | Promise<Response> => {
    const url = req.url;
    const path = url.slice(url.indexOf("/", 8)); // past "http://host:port"
    let request: Uint8Array;
    if (path === "/client/bench/time") request = frame(TIME, nextId);
    else if (path.startsWith("/client/bench/blob//") || path.startsWith("/client/bench/gen//")) {
      const gen = path.startsWith("/client/bench/gen//");
      const n = Number(path.slice((gen ? "/client/bench/gen//" : "/client/bench/blob//").length));
      if (!Number.isSafeInteger(n) || n < 0 || (!gen && n > MAX_BLOB)) return new Response(`bad size: blob//<n> takes 0 to ${MAX_BLOB}, gen//<n> any\n`, { status: 400 });
      request = frame(gen ? GEN : BLOB, nextId, f64(n));
    } else return new Response("not found\n", { status: 404 });
    if (!out) return fail();
    const id = nextId;
    nextId = (nextId + 1) >>> 0 || 1;
    const { promise, resolve } = Promise.withResolvers<Response>();
    pending.set(id, { resolve, early: [], taken: 0, left: 0, startedAt: audit === undefined ? 0 : performance.now() });
    out.send(request);
    return promise;
  };
  // --front elysia: the same handler behind an Elysia app's catch-all, as src/http/front.ts mounts it (what the
  // mandated Elysia front costs on top of the floor); loaded only then, so the plain floor does not pay for it.
  const fetch = opt.front === "elysia"
    ? await import("elysia").then(({ Elysia }) => new Elysia().all("/*", ({ request }) => handle(request), { parse: "none" }).fetch)
    : handle;
  Bun.serve({ hostname: httpHost, port: httpPort, idleTimeout: 0, fetch });
}

/** Client: dials the server (again after a drop), answers TIME at once and streams BLOBs under the credit window. */
async function client(opt: Record<string, string>): Promise<void> {
  const [host, port] = hostPort(opt.pipe, "pipe");
  const audit = opt.audit === undefined ? undefined : await FloorAudit.open(opt.audit, "in", opt["audit-writes"] !== "none");
  const tls = { ...tlsFiles(opt.dir ?? ".", "client"), serverName: "localhost", rejectUnauthorized: true };
  const encoder = new TextEncoder();
  interface Stream { id: number; n: number; sent: number; credit: number; bytes: Uint8Array; gen: boolean }
  const scratch = new Uint8Array(FRAME); // one data frame at a time is built here (Out copies what waits)
  const scratchView = new DataView(scratch.buffer);
  const connect = () => {
    let out: Out | null = null;
    let streams: Stream[] = [];
    const pump = () => { // round-robin over the streams with credit, until the socket pushes back
      while (out && !out.blocked && streams.length > 0) {
        let progressed = false;
        for (const s of streams) {
          if (s.credit <= 0) continue;
          const at = s.sent % GEN_BLOCK;
          const len = s.gen ? Math.min(CHUNK, s.n - s.sent, GEN_BLOCK - at) : Math.min(CHUNK, s.n - s.sent);
          const payload = scratch.subarray(HEAD, HEAD + len);
          payload.set(s.gen ? s.bytes.subarray(at, at + len) : s.bytes.subarray(s.sent, s.sent + len));
          scratchView.setUint32(0, len + 5);
          scratchView.setUint32(4, s.id);
          scratch[8] = DATA;
          s.sent += len;
          s.credit -= len;
          progressed = true;
          if (!out.send(scratch.subarray(0, HEAD + len))) break;
        }
        streams = streams.filter((s) => s.sent < s.n);
        if (!progressed) return;
      }
    };
    const reader = new FrameReader((kind, id, payload) => {
      if (!out) return;
      if (kind === TIME) {
        const startedAt = audit === undefined ? 0 : performance.now();
        const reply = encoder.encode(`{"time_from_client":${(performance.timeOrigin + performance.now()) / 1000}}`);
        out.send(frame(JSON_REPLY, id, reply));
        audit?.line(startedAt, performance.now(), reply.length);
      } else if (kind === BLOB || kind === GEN) {
        const n = readF64(payload);
        out.send(frame(START, id, f64(n)));
        if (n === 0) return;
        const gen = kind === GEN;
        streams.push({ id, n, sent: 0, credit: WINDOW, bytes: blobBytes(gen ? GEN_BLOCK : n), gen });
        pump();
      } else if (kind === CREDIT) {
        const s = streams.find((t) => t.id === id);
        if (s) s.credit += readF64(payload), pump();
      } else if (kind === CANCEL) {
        streams = streams.filter((s) => s.id !== id);
      }
    });
    Bun.connect<undefined>({
      hostname: host,
      port,
      tls,
      socket: {
        handshake(socket, success, error) {
          if (!success || error) return void socket.end(); // the server's certificate must chain to our CA
          out = new Out(socket);
        },
        data(_socket, data) {
          reader.push(data);
        },
        drain() {
          if (out?.drain()) pump();
        },
        close() {
          out = null;
          streams = [];
          setTimeout(connect, 200);
        },
        error() {},
      },
    }).catch(() => setTimeout(connect, 200));
  };
  connect();
}

/** `floor-relay selftest`: random frames (0..FRAME bytes) cut at random places (1 byte to 200 KiB) come out whole and in order. */
function selftest(): void {
  for (let round = 0; round < 200; round++) {
    const sent: Uint8Array[] = [];
    for (let i = 0, count = 1 + Math.floor(Math.random() * 40); i < count; i++) {
      const payload = crypto.getRandomValues(new Uint8Array(Math.random() < 0.3 ? Math.floor(Math.random() * 12) : Math.floor(Math.random() * (CHUNK + 1))));
      sent.push(frame(DATA, i, payload));
    }
    const wire = new Uint8Array(sent.reduce((n, f) => n + f.length, 0));
    sent.reduce((off, f) => (wire.set(f, off), off + f.length), 0);
    let got = 0;
    const reader = new FrameReader((kind, id, payload) => {
      const want = sent[got]!.subarray(HEAD);
      if (kind !== DATA || id !== got || !Buffer.from(payload).equals(want)) throw new Error(`round ${round}: frame ${got} differs`);
      got++;
    });
    const maxCut = [1, 10, 100, 20_000, 200_000][round % 5]!;
    for (let off = 0; off < wire.length; ) {
      const cut = Math.min(wire.length - off, 1 + Math.floor(Math.random() * maxCut));
      reader.push(wire.slice(off, off + cut)); // a copy: the reader must not rely on earlier reads staying intact
      off += cut;
    }
    if (got !== sent.length) throw new Error(`round ${round}: ${got} of ${sent.length} frames`);
  }
  console.log("framing ok: 200 rounds of random frames at random cuts");
}

if (import.meta.main) {
  const { role, opt } = args();
  if (role === "server") await server(opt);
  else if (role === "client") await client(opt);
  else if (role === "selftest") selftest();
  else {
    console.error("usage: floor-relay server --http host:port --pipe host:port --dir <dir> | client --pipe host:port --dir <dir>");
    process.exit(2);
  }
}
