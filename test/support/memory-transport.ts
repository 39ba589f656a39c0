/**
 * An in-memory Transport pair for unit and component tests: ordered delivery
 * on later microtasks, optional re-chunking, a high-water mark for
 * back-pressure, reading that pauses (what is not read backs up into the
 * writer's queue, as TCP does), and the failure modes a network has (close, reset, silent
 * half-open). Never a stand-in for the real TLS transport in integration tests.
 */
import type { Transport, TransportPeer, TransportSink } from "../../src/pipe/index.ts";

/** Options of a memory pair. */
export interface MemoryPairOptions {
  /** Re-chunk deliveries into pieces of at most this many bytes (default: as written). */
  readonly chunkSize?: number;
  /** Queued bytes above which `write` returns false (default 1 MiB). */
  readonly highWaterMark?: number;
}

/** One end of an in-memory connection. */
export class MemoryTransport implements Transport {
  readonly peer: TransportPeer;
  other!: MemoryTransport;
  /** Number of write() calls (to check write coalescing). */
  writeCalls = 0;
  #sink: TransportSink | undefined;
  #early: Uint8Array[] = [];
  #queuedBytes = 0;
  #needsDrain = false;
  #closed = false;
  #silent = false;
  #paused = false;
  /** Bytes that arrived while reading was paused, with the transport that wrote them. */
  #held: Uint8Array[] = [];
  /** pauseReading() calls, for tests. */
  pauses = 0;

  constructor(
    name: string,
    readonly options: MemoryPairOptions,
    peer?: TransportPeer,
  ) {
    this.peer = peer ?? { remoteAddress: `memory:${name}` };
  }

  /** Coalesced writes flush at the end of the current microtask queue. */
  readonly scheduleFlush = (flush: () => void): void => queueMicrotask(flush);
  /** `write` copies what it is given (the receiver owns its chunk), so the writer may reuse its buffer. */
  readonly copiesWrites = true;

  start(sink: TransportSink): void {
    if (this.#sink) throw new Error("Cannot start transport: already started");
    this.#sink = sink;
    for (const chunk of this.#early) sink.data(chunk);
    this.#early = [];
  }

  write(bytes: Uint8Array): boolean {
    this.writeCalls++;
    if (this.#closed || this.#silent) return true;
    this.#queuedBytes += bytes.length;
    const copy = bytes.slice(); // the receiver owns what it gets
    queueMicrotask(() => this.#deliver(copy));
    const high = this.options.highWaterMark ?? 1024 * 1024;
    if (this.#queuedBytes > high) this.#needsDrain = true;
    return this.#queuedBytes <= high;
  }

  pauseReading(): void {
    if (!this.#paused) this.pauses++;
    this.#paused = true;
  }

  resumeReading(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const held = this.#held;
    this.#held = [];
    for (const bytes of held) {
      this.other.#release(bytes.length);
      if (!this.#paused) this.#hand(bytes);
      else this.#held.push(bytes); // paused again by what was just delivered
    }
  }

  /** True while reading is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  close(): void {
    if (this.#closed) return;
    // Deliver what is queued before the close, like a FIN after the data; on a silent connection the FIN is lost too.
    const silent = this.#silent;
    queueMicrotask(() => {
      this.#end(undefined);
      if (!silent) this.other.#end(undefined);
    });
  }

  /** Abrupt end on both sides (like a TCP reset). */
  reset(error = new Error("connection reset")): void {
    this.#end(error);
    this.other.#end(error);
  }

  /** Both directions stop carrying bytes, and nobody is told (a half-open connection). */
  goSilent(): void {
    this.#silent = true;
    this.other.#silent = true;
  }

  /** Bytes written by this end and not yet delivered to the other. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  #deliver(bytes: Uint8Array): void {
    if (this.#silent) return this.#release(bytes.length);
    if (this.other.#paused) {
      this.other.#held.push(bytes); // still counted in our queue: the writer is back-pressured
      return;
    }
    this.#release(bytes.length);
    this.other.#hand(bytes);
  }

  /** `n` written bytes left our queue. */
  #release(n: number): void {
    this.#queuedBytes -= n;
    if (this.#needsDrain && this.#queuedBytes <= (this.options.highWaterMark ?? 1024 * 1024)) {
      this.#needsDrain = false;
      if (!this.#closed) this.#sink?.drain();
    }
  }

  /** Delivers bytes written by the other end to our sink, re-chunked. */
  #hand(bytes: Uint8Array): void {
    const size = this.options.chunkSize ?? bytes.length;
    for (let at = 0; at < bytes.length; at += size) this.#receive(bytes.subarray(at, at + size));
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#sink) this.#sink.data(chunk);
    else this.#early.push(chunk);
  }

  #end(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink?.closed(error);
  }
}

/** Two connected in-memory transports; `peers` says what each end sees of the other (default "memory:a"/"memory:b"). */
export function memoryPair(options: MemoryPairOptions = {}, peers?: readonly [TransportPeer, TransportPeer]): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport("a", options, peers?.[0]);
  const b = new MemoryTransport("b", options, peers?.[1]);
  a.other = b;
  b.other = a;
  return [a, b];
}
