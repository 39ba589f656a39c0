/**
 * Read buffers freed as soon as nobody views them, rather than by the
 * garbage collector, late. Bun gives every read a fresh buffer, and a Data
 * frame is a view of it; during a 1 GiB stream the dead read buffers (and the
 * copies of frames that spanned two reads) waited for collection by tens of
 * MiB, so a process's RSS grew by 40-60 MiB, more or less at random.
 *
 * A lease counts the views of one buffer that are still wanted: the read
 * itself while its frames are handled, the decoder while it keeps the head
 * of an incomplete frame in it, and each chunk a lending stream keeps (a
 * stream whose consumer is done with a chunk when it reads the next one:
 * the HTTP front's response on Bun). At zero the buffer is freed. A read
 * that carried any frame other than stream frames (an event, a reply: their
 * bodies are views handed to handlers) is never freed: the collector takes it.
 * Streams that do not lend copy their views out before the read is freed.
 * A read gets a lease (an object and a Map entry) only when something keeps
 * a view of it past its own handling (a lending stream, the decoder); the
 * rest are freed, or left to the collector, without one.
 */

/**
 * Reads shorter than this are not leased (nor freed here): what the collector
 * may keep of them late is small, while a lease costs each read a Map entry
 * keyed by its ArrayBuffer (which Bun makes only when asked for) and the
 * `transfer(0)`. A fan-out's events and replies are reads of tens of bytes,
 * one per target on each side; a stream's reads are tens to hundreds of KiB.
 */
export const SMALL_READ_BYTES = 16 * 1024;

/** One buffer and the views of it still wanted. */
interface Lease {
  readonly chunk: Uint8Array;
  readonly free: (chunk: Uint8Array) => void;
  count: number;
  /** A view of it may still be in use by someone who will not say: never freed, left to the collector. */
  abandoned?: boolean;
}

/** The leases of one pipe's reads. */
export class ReadLeases {
  readonly #leases = new Map<ArrayBufferLike, Lease>();
  /** Leases the decoder still holds (the head of an incomplete frame). */
  #decoderHeld: Lease[] = [];
  /** The read being handled, when it is a whole buffer that may be freed. */
  #current: Uint8Array | undefined;
  /** Its lease, made once something keeps a view of it. */
  #currentLease: Lease | undefined;
  #pinned = false;

  constructor(
    /** Frees a read, or a copy of our own (the transport's `release`); absent: nothing is freed here. */
    readonly release: ((chunk: Uint8Array) => void) | undefined,
    /** Does the decoder still keep part of `buffer`? */
    readonly decoderHolds: (buffer: ArrayBufferLike) => boolean,
    /** Reads shorter than this are left to the collector, unleased (see SMALL_READ_BYTES); 0: every read is leased. */
    readonly leaseFromBytes = 0,
  ) {}

  /** Leases that wait for views to come back (for tests). */
  get size(): number {
    return this.#leases.size;
  }

  /** A read arrives: it holds its buffer while its frames are handled. */
  begin(chunk: Uint8Array): void {
    this.#pinned = false;
    this.#currentLease = undefined;
    const whole =
      this.release !== undefined && chunk.byteLength >= this.leaseFromBytes && chunk.byteOffset === 0 &&
      chunk.byteLength === chunk.buffer.byteLength;
    this.#current = whole ? chunk : undefined;
  }

  /** The current read's lease, made at its first use: the read itself holds it once. */
  #leaseOfCurrent(chunk: Uint8Array): Lease {
    if (this.#currentLease !== undefined) return this.#currentLease;
    const lease: Lease = { chunk, free: this.release!, count: 1 };
    this.#leases.set(chunk.buffer, lease);
    return (this.#currentLease = lease);
  }

  /** A frame that may keep views of the read (not a stream frame) was read: the read is left to the collector. */
  pin(): void {
    this.#pinned = true;
  }

  /**
   * A Data body about to go to a lending stream: a copy the decoder made (a
   * frame that spanned reads) is a buffer of our own, freed like a read.
   */
  lending(body: Uint8Array): void {
    if (this.release === undefined || body.buffer === this.#current?.buffer || this.#leases.has(body.buffer)) return;
    if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength) return;
    this.#leases.set(body.buffer, { chunk: body, free: this.release, count: 0 }); // the transport frees any buffer that is only ours
  }

  /** After `lending(body)`: a body no stream kept (dropped, refused) needs no lease. */
  lent(body: Uint8Array): void {
    if (this.#leases.get(body.buffer)?.count === 0) this.#leases.delete(body.buffer);
  }

  /** A lending stream keeps `view`. */
  kept(view: Uint8Array): void {
    const current = this.#current;
    const lease = current !== undefined && view.buffer === current.buffer ? this.#leaseOfCurrent(current) : this.#leases.get(view.buffer);
    if (lease) lease.count++;
  }

  /** A lending stream no longer wants `view` (read and done with, copied, or dropped); not `free`: it may still be in use. */
  returned(view: Uint8Array, free: boolean): void {
    const lease = this.#leases.get(view.buffer);
    if (!lease) return;
    if (!free) lease.abandoned = true;
    this.#drop(lease);
  }

  /**
   * The read's frames are handled (streams that do not lend have copied
   * their views out): the read lets go of its buffer, or hands it to the
   * decoder; the decoder lets go of those it no longer holds.
   */
  end(): void {
    const read = this.#current;
    let lease = this.#currentLease;
    this.#current = this.#currentLease = undefined;
    if (this.#decoderHeld.length > 0) {
      const held = this.#decoderHeld;
      this.#decoderHeld = [];
      for (const old of held) {
        if (this.decoderHolds(old.chunk.buffer)) this.#decoderHeld.push(old);
        else this.#drop(old);
      }
    }
    if (read === undefined) return;
    if (lease === undefined) {
      // Nobody kept a view: freed now, or left to the collector (views of it went to handlers), without a lease;
      // one is made only for the decoder, when it keeps the head of an incomplete frame in it.
      if (this.#pinned) return;
      if (!this.decoderHolds(read.buffer)) return this.release!(read);
      lease = { chunk: read, free: this.release!, count: 1 };
      this.#leases.set(read.buffer, lease);
    }
    if (this.#pinned) lease.abandoned = true; // views of it went to handlers: the collector frees it
    if (this.decoderHolds(lease.chunk.buffer)) this.#decoderHeld.push(lease);
    else this.#drop(lease);
  }

  /** The current read, when it may be freed once its frames are handled (streams that do not lend copy their views of it). */
  get freeing(): ArrayBufferLike | undefined {
    return this.#pinned ? undefined : this.#current?.buffer;
  }

  #drop(lease: Lease): void {
    if (--lease.count > 0) return;
    this.#leases.delete(lease.chunk.buffer);
    if (lease.abandoned !== true) lease.free(lease.chunk);
  }
}
