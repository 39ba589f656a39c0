/**
 * Streamed bodies with credit (DESIGN.md "Streams and flow control"): the
 * receiving end of a body (`InboundStream`, a pull-based ReadableStream that
 * grants credit as its consumer reads) and the sending end (`pumpBody`, which
 * reads its source only as far as credit and the outbox allow).
 *
 * Windows: each stream starts with INITIAL_STREAM_WINDOW of credit, known to
 * both peers; the receiver doubles a stream's window (up to
 * MAX_STREAM_WINDOW) when its reader used the last one up within a few round
 * trips, so one stream reaches the socket's speed while a stalled reader
 * holds at most its window. The connection has one window too
 * (CONNECTION_WINDOW): it bounds the bytes in flight, and is returned as
 * bytes arrive (HTTP/2 and grpc-go do so), since what waits for a reader is
 * bounded by its stream's window already. Returned only on reading, the
 * bytes that stalled readers hold would use it all up, and every other
 * stream of the pipe would stall with them. What the windows may hold in all
 * is bounded instead: a window grows only while the pipe's inbound windows
 * stay within STREAM_WINDOW_BUDGET.
 */
import { joinBytes, MAX_DATA_CHUNK } from "../wire/index.ts";
import type { Clock } from "./clock.ts";
import { StreamTooLargeError } from "./errors.ts";

/** Credit every stream starts with, in each direction (both peers assume it). */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

/**
 * Window a receiver gives a stream as soon as it starts (a Credit frame on
 * top of INITIAL_STREAM_WINDOW, for a body known to be longer than that or of
 * unknown length), within the pipe's budget. Starting at 256 KiB, a 1 MiB
 * reply waited for credit round trips at every quarter: 161 MB/s where the
 * same reply sent whole ran at 254.
 */
export const FIRST_STREAM_WINDOW = 1024 * 1024;

/** Largest window a receiver grows a stream to. */
export const MAX_STREAM_WINDOW = 16 * 1024 * 1024;

/** Credit of the whole connection, in each direction (both peers assume it); returned as bytes are read. */
export const CONNECTION_WINDOW = 64 * 1024 * 1024;

/** What the inbound windows of one pipe may add up to by growing (each stream has its initial window in any case). */
export const STREAM_WINDOW_BUDGET = 64 * 1024 * 1024;

/**
 * Small chunks that have arrived are joined into one read of up to this many
 * bytes (one write each on an HTTP response); a chunk of this size (a full
 * Data frame) is handed on alone, as the view of the received bytes it is.
 * Joining up to 1 MiB cost a fresh 1 MiB buffer and a copy per read: the
 * receiving node spent most of its samples in that copy during a 1 GiB stream.
 */
const PULL_BYTES = 64 * 1024;

/** A view pinning up to this many bytes beyond its own is kept as it is (not worth a copy). */
const DETACH_SLACK = 16 * 1024;

/** What an inbound stream asks its pipe to do. */
export interface InboundActions {
  /** Grant the sender `bytes` more credit for this stream. */
  credit(bytes: number): void;
  /** `bytes` of this stream arrived, accepted or dropped (connection credit, returned on arrival). */
  consumed(bytes: number): void;
  /** May this stream's window grow by `bytes` (the pipe's STREAM_WINDOW_BUDGET)? Taken when true. Absent: always. */
  grow?(bytes: number): boolean;
  /** The reader cancelled: tell the sender (reset). */
  cancel(reason: string): void;
  /** The stream ended, was cancelled or reset: forget it. */
  done(): void;
  /** The stream keeps views of received bytes past this read: the pipe calls `detach` before its next one. Absent: never. */
  holding?(stream: InboundStream): void;
  /** The latest round-trip time, for window growth. */
  rttMs(): number | undefined;
  /** A lending stream (`lend`) keeps `view` of received bytes. Absent: nothing is counted. */
  kept?(view: Uint8Array): void;
  /**
   * A lending stream no longer wants `view`: its consumer read the next chunk,
   * or it was copied or dropped unread (`free`), or the stream ended while its
   * consumer may still hold it (not `free`: its buffer is left to the collector).
   */
  returned?(view: Uint8Array, free: boolean): void;
}

/** A lending stream copies its waiting chunks out of the read buffers only once more than this many bytes wait. */
const LEND_LAG_BYTES = 256 * 1024;

/** The receiving end of one streamed body. */
export class InboundStream {
  readonly readable: ReadableStream<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #window = INITIAL_STREAM_WINDOW;
  /** Credit the sender still has: what we granted minus what arrived. */
  #open = INITIAL_STREAM_WINDOW;
  #unacked = 0;
  #epochAt: number;
  #ended = false;
  #failed: Error | undefined;
  #finished = false;
  #discard = false;
  /** The reader had to wait for data since the last grant: the window, not the reader, set the pace. */
  #starved = false;
  #wake: (() => void) | undefined;
  /** Chunks pushed since the last `detach` may be views of a read buffer. */
  #holdsViews = false;
  /** Chunks are lent to the reader (`lend`): views it is done with when it reads the next one. */
  #lending = false;
  /** The views the reader was given last (lending): returned at its next read. */
  #lent: Uint8Array[] = [];
  /** Bytes received in all. */
  received = 0;

  constructor(
    readonly clock: Clock,
    readonly actions: InboundActions,
    /** Bytes after which the stream is refused (reset), when a limit is set. */
    readonly maxBytes = Infinity,
  ) {
    this.#epochAt = clock.now();
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.#pull(controller),
        cancel: (reason) => this.cancel(reason instanceof Error ? reason.message : "the reader cancelled the body"),
      },
      { highWaterMark: 0 },
    );
  }

  /** Bytes waiting for the reader. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True after `lend`. */
  get lending(): boolean {
    return this.#lending;
  }

  /**
   * The reader is done with each chunk when it reads the next one (or
   * cancels): an HTTP server that writes or copies every chunk before it asks
   * for more. Its chunks are then views of the read buffers, which are freed
   * once read (see _read-leases.ts), instead of copies or garbage.
   */
  lend(): void {
    this.#lending = true;
  }

  /** The stream's current window. */
  get window(): number {
    return this.#window;
  }

  /** True once the body ended, failed or was cancelled. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Widens the window at once to FIRST_STREAM_WINDOW (or to `bodyLength`,
   * when known and smaller), within the pipe's budget: called as the stream
   * starts, so that the sender's first stall for credit comes a round trip
   * later, or never for a body that fits.
   */
  widen(bodyLength: number | undefined): void {
    const extra = Math.min(bodyLength ?? FIRST_STREAM_WINDOW, FIRST_STREAM_WINDOW) - this.#window;
    if (extra <= 0 || this.#finished || !(this.actions.grow?.(extra) ?? true)) return;
    this.#window += extra;
    this.#open += extra;
    this.actions.credit(extra);
  }

  /** A Data frame arrived. Returns why it is refused (past the window or the limit), or undefined. */
  push(chunk: Uint8Array, end: boolean): string | undefined {
    if (this.#finished && !this.#discard) {
      this.actions.consumed(chunk.length); // dropped, but the sender spent connection credit on it
      return undefined;
    }
    if (chunk.length > this.#open) return `Cannot accept body data: ${chunk.length} bytes arrived with ${this.#open} bytes of credit left (the window is ${this.#window})`;
    this.#open -= chunk.length;
    this.received += chunk.length;
    if (this.received > this.maxBytes) return `Cannot accept body: more than the limit of ${this.maxBytes} bytes (RP_X_MAX_STREAM_BYTES)`;
    // Connection credit goes back on arrival: this stream's window bounds what waits here for its reader.
    this.actions.consumed(chunk.length);
    if (this.#discard) {
      this.#consumed(chunk.length);
      if (end) this.#finish();
      return undefined;
    }
    if (chunk.length > 0) {
      if (!this.#holdsViews) {
        this.#holdsViews = true;
        this.actions.holding?.(this);
      }
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#lending) this.actions.kept?.(chunk);
    }
    if (end) this.#ended = true;
    this.#wakeReader();
    return undefined;
  }

  /**
   * Copies the chunks still waiting for the reader out of the buffers they
   * are views of. A Data frame is a 64 KiB view of the transport's read
   * buffer (512 KiB each on Bun): a reader that keeps up lets go of it before
   * the next read, but a stalled one held every read buffer its frames came
   * in, interleaved with a busy stream's: 8 times its window in memory.
   * Only chunks that pin a larger buffer are copied, once each, and every
   * view of `release`, a read buffer about to be freed.
   */
  detach(release?: ArrayBufferLike): boolean {
    const chunks = this.#chunks;
    if (this.#lending) {
      // Its views are counted: a read is freed when they come back, so only a reader that lags has them copied.
      if (release !== undefined || this.#buffered <= LEND_LAG_BYTES) {
        if (chunks.length === 0) this.#holdsViews = false;
        return !!chunks.length;
      }
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        chunks[i] = new Uint8Array(chunk);
        this.actions.returned?.(chunk, true);
      }
      this.#holdsViews = false;
      return false;
    }
    this.#holdsViews = false;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      // A copy whatever the view's class: a Node Buffer's (Bun's reads) `slice` is a view of the same bytes.
      if (chunk.buffer === release || chunk.buffer.byteLength > chunk.length + DETACH_SLACK) chunks[i] = new Uint8Array(chunk);
    }
    return false;
  }

  /**
   * Forgets the waiting chunks and gives back every view (lending): the waiting
   * ones to be freed, the lent ones not, as the reader may still be writing one.
   */
  #dropChunks(): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    if (!this.#lending) return;
    const lent = this.#lent;
    this.#lent = [];
    for (const view of lent) this.actions.returned?.(view, false);
    for (const view of chunks) this.actions.returned?.(view, true);
  }

  /** The sender reset the stream, or the pipe closed: the reader sees `error`. */
  fail(error: Error): void {
    if (this.#finished) return;
    this.#failed = error;
    this.#dropChunks();
    this.#wakeReader();
    this.#finish();
  }

  /** The reader gave up: the sender is told. */
  cancel(reason: string): void {
    if (this.#finished) return;
    this.#dropChunks();
    this.actions.cancel(reason);
    this.#finish();
  }

  /**
   * The reader does not want the rest, but the exchange goes on (a handler
   * answered without reading its whole request body): what still arrives is
   * dropped and its credit returned at once, so the sender is never stuck.
   */
  discardRest(): void {
    if (this.#finished) return;
    const buffered = this.#buffered;
    this.#dropChunks();
    this.#discard = true;
    if (buffered > 0) this.#consumed(buffered);
    if (this.#ended) this.#finish();
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    if (this.#lent.length > 0) this.#giveBack(); // the reader is done with the chunks it read last
    for (;;) {
      if (this.#failed) return controller.error(this.#failed);
      if (this.#chunks.length > 0) {
        // The reader asked: it gets what has arrived (small chunks joined up to PULL_BYTES: one write per pull on an HTTP response).
        const chunk = this.#take();
        controller.enqueue(chunk);
        this.#consumed(chunk.length);
        return;
      }
      if (this.#ended) {
        controller.close();
        this.#giveBack();
        return this.#finish();
      }
      if (this.#finished) return; // cancelled
      this.#starved = true;
      await new Promise<void>((wake) => (this.#wake = wake));
    }
  }

  /** The first buffered chunk, joined with the next ones while they fit in PULL_BYTES. */
  #take(): Uint8Array {
    let count = 0;
    let length = 0;
    while (count < this.#chunks.length && (count === 0 || length + this.#chunks[count]!.length <= PULL_BYTES)) length += this.#chunks[count++]!.length;
    const taken = this.#chunks.splice(0, count);
    this.#buffered -= length;
    if (!this.#lending) return joinBytes(taken, length);
    if (count === 1) {
      this.#lent.push(taken[0]!);
      return taken[0]!;
    }
    const joined = joinBytes(taken, length);
    for (const view of taken) this.actions.returned?.(view, true);
    return joined;
  }

  /** Returns the views the reader was lent (it read the next chunk, or the body ended). */
  #giveBack(): void {
    const lent = this.#lent;
    this.#lent = [];
    for (const view of lent) this.actions.returned?.(view, true);
  }

  /** The reader took (or dropped) `n` bytes: stream credit goes back in batches of half a window. */
  #consumed(n: number): void {
    if (this.#ended) return;
    this.#unacked += n;
    if (this.#unacked < this.#window / 2) return;
    const now = this.clock.now();
    const rtt = Math.max(this.actions.rttMs() ?? 1, 1);
    let grant = this.#unacked;
    // The reader waited for data and used half a window within a few round trips: the window holds it back, so it
    // grows (yamux, grpc-go do so). A reader slower than the data never waits, and keeps the window it has.
    // Only within the pipe's budget: stalled readers with grown windows must not hold unbounded memory. And only
    // while the window is under four times what the reader takes in a round trip (the bandwidth-delay product):
    // a reader that drains into socket buffers at GB/s before a slow caller fills them (a 2 MB/s download) grew its
    // window to 16 MiB, which then held 16 MiB of the handler's stream on top of what the buffers took.
    const elapsed = Math.max(now - this.#epochAt, 0.05);
    const bdp = (this.#unacked / elapsed) * rtt;
    if (this.#starved && elapsed < 4 * rtt + 2 && this.#window < 4 * bdp && this.#window < MAX_STREAM_WINDOW && (this.actions.grow?.(this.#window) ?? true)) {
      grant += this.#window;
      this.#window *= 2;
    }
    this.#epochAt = now;
    this.#starved = false;
    this.#unacked = 0;
    this.#open += grant;
    this.actions.credit(grant);
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #finish(): void {
    if (this.#finished && !this.#discard) return;
    this.#finished = true;
    this.#discard = false;
    this.actions.done();
  }
}

/** Credit one side may still spend: a stream's, or the connection's. */
export class Credit {
  #available: number;
  #waiters: Array<() => void> = [];

  constructor(initial: number) {
    this.#available = initial;
  }

  get available(): number {
    return this.#available;
  }

  /** The peer granted more. */
  add(bytes: number): void {
    this.#available += bytes;
    this.wakeAll();
  }

  /** Spends `bytes` (at most `available`). */
  take(bytes: number): void {
    this.#available -= bytes;
  }

  /** Resolves at the next grant (or wakeAll). */
  wait(): Promise<void> {
    return new Promise((wake) => this.#waiters.push(wake));
  }

  /** Wakes every waiter (a grant, or the stream's end). */
  wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** What a body pump needs from its pipe. */
export interface PumpActions {
  /** Queue one Data frame; `written` is called once the outbox copied it (see OutboundFrame.written). */
  send(chunk: Uint8Array, end: boolean, written?: () => void): void;
  /**
   * Frees a source chunk that is a whole buffer once all its frames are written: the source's chunks are
   * buffers of their own that nobody else holds (OutgoingReply.ownChunks). Absent: the collector frees them.
   */
  readonly free?: (chunk: Uint8Array) => void;
  /** Resolves when the outbox can take another chunk (round-robin with the other streams). */
  writable(): Promise<void>;
  /** The connection's credit. */
  readonly connection: Credit;
}

/** The sending end of one streamed body. */
export class OutboundBody {
  readonly credit = new Credit(INITIAL_STREAM_WINDOW);
  #stopped: Error | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Bytes sent in all. */
  sent = 0;

  constructor(
    readonly source: ReadableStream<Uint8Array>,
    readonly actions: PumpActions,
    /** Bytes after which the body is refused (the pump fails), when a limit is set. */
    readonly maxBytes = Infinity,
  ) {}

  /** Stops the pump (the peer reset, or the pipe closed) and cancels the source. */
  stop(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = error;
    this.credit.wakeAll();
    this.actions.connection.wakeAll();
    this.#reader?.cancel(error).catch(() => {});
  }

  /** True after `stop`. */
  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Sends the whole source; resolves when its last chunk is queued, rejects when the source fails or `stop` is called. */
  async run(): Promise<void> {
    const reader = (this.#reader = this.source.getReader());
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.#stopped) throw this.#stopped;
        if (done) {
          await this.actions.writable();
          if (this.#stopped) throw this.#stopped;
          this.actions.send(new Uint8Array(0), true);
          return;
        }
        if (this.sent + value.length > this.maxBytes) {
          throw new StreamTooLargeError(this.maxBytes);
        }
        await this.#sendChunk(value);
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** Sends one source chunk in Data frames of at most MAX_DATA_CHUNK, within credit. */
  async #sendChunk(chunk: Uint8Array): Promise<void> {
    const free = this.actions.free;
    const freed = free !== undefined && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? new ChunkRelease(chunk, free) : undefined;
    let at = 0;
    while (at < chunk.length) {
      const connection = this.actions.connection;
      while (!this.#stopped && (this.credit.available <= 0 || connection.available <= 0)) {
        await (this.credit.available <= 0 ? this.credit.wait() : connection.wait());
      }
      if (this.#stopped) throw this.#stopped;
      await this.actions.writable();
      if (this.#stopped) throw this.#stopped;
      const n = Math.min(chunk.length - at, MAX_DATA_CHUNK, this.credit.available, connection.available);
      if (n <= 0) continue;
      this.credit.take(n);
      connection.take(n);
      this.sent += n;
      this.actions.send(chunk.subarray(at, at + n), false, freed?.frame());
      at += n;
    }
    freed?.queued();
  }
}

/** Frees one source chunk once every frame cut from it was written (a frame dropped unwritten leaves it to the collector). */
class ChunkRelease {
  #left = 0;
  #queued = false;
  constructor(
    readonly chunk: Uint8Array,
    readonly free: (chunk: Uint8Array) => void,
  ) {}

  /** One more frame of it: the callback for when it is written. */
  frame(): () => void {
    this.#left++;
    return this.#written;
  }

  /** Every frame of it is queued. */
  queued(): void {
    this.#queued = true;
    if (this.#left === 0) this.free(this.chunk);
  }

  readonly #written = (): void => {
    if (--this.#left === 0 && this.#queued) this.free(this.chunk);
  };
}
