/**
 * The pipe's write path: a byte-bounded, prioritised queue of frames in
 * front of the transport.
 *
 * * Control frames (heartbeats, GoAway, and any frame with a small body:
 *   small events and replies) go before bulk frames (large bodies), so a
 *   heartbeat never waits behind megabytes of data that are not yet written.
 * * Frames queued before the flush the transport schedules (a microtask by
 *   default; after the current I/O callbacks on a socket) leave in one
 *   coalesced transport write. Large bodies are written as views of their own
 *   buffers, in slices, never copied into a batch.
 * * Only what the transport takes now is written: after `write` returns false
 *   nothing more goes until `drain`, so the transport never holds more than its
 *   high-water mark plus one slice. The rest waits here, where it is counted.
 * * A frame may be lazy (its body made when it is written: a reply that
 *   references the handler's data is not copied while it waits) and may say it
 *   is dead (its request settled meanwhile): it is then dropped unwritten.
 * * Past `maxBytes` waiting, `full` is reported (the pipe stops reading from
 *   the peer and refuses new requests); at half of it, `room`.
 */
import { HEADER_LENGTH, writeHeader, type FrameType } from "../wire/index.ts";
import type { Transport } from "./transport.ts";

/** Bodies at least this long are bulk: queued behind control frames, written without the coalescing copy. */
export const LARGE_BODY = 64 * 1024;

/** Largest single transport write of a large body (a view, not a copy): what the transport may hold past its mark. */
export const WRITE_SLICE = 1024 * 1024;

/** Bulk frames up to this size (a stream chunk and its header room) are coalesced rather than written as views. */
const SMALL_BULK = LARGE_BODY + 64;

/**
 * Coalesced batches of small frames are cut at about this size. At 256 KiB a
 * sending node used 13 % more CPU per GB of a streamed reply (851 against
 * 738 ms, medians of 6 alternated pairs, test/bench/stream-profile.ts) for
 * the extra socket writes: what waits of stream data is bounded by the
 * pipe's STREAM_QUEUE_BYTES (512 KiB) anyway, so a batch is what waits.
 */
const BATCH_BYTES = 1024 * 1024;

/** Room for the largest coalesced batch: a batch is cut after the frame that takes it to BATCH_BYTES. */
const SCRATCH_BYTES = BATCH_BYTES + HEADER_LENGTH + SMALL_BULK;

/**
 * The buffer the outboxes of this process coalesce their batches in, when
 * their transport copies what it keeps of a write (`copiesWrites`):
 * a batch is built and written synchronously, so one buffer serves every pipe, and a busy
 * stream no longer gets a fresh 256 KiB buffer (zeroed, page-faulted in,
 * later collected) per write: that was 38% of a sending node's samples
 * during a 1 GiB stream. Made on first use (about 1 MiB: SCRATCH_BYTES).
 */
let scratch: Uint8Array | undefined;

/** One frame waiting to be written. */
export interface OutboundFrame {
  readonly type: FrameType;
  readonly id: number;
  /** The body's length in bytes, or for a lazy body an upper bound of it (what the byte bound counts). */
  readonly size: number;
  /** The body, or a function that makes it when the frame is written. */
  readonly body: Uint8Array | (() => Uint8Array);
  /** False once the frame is no longer wanted (its request settled): it is dropped unwritten. Given the frame, so that one function serves every frame of a kind (no closure per request). */
  readonly live?: (frame: OutboundFrame) => boolean;
  /** Clock time (OutboxOptions.now) from which the frame is no longer wanted (a reply past its sender's deadline). */
  readonly until?: number;
  /** Header flags when they differ from the type's (stream frames). */
  readonly flags?: number;
  /** Queue it behind control frames whatever its size (stream data). */
  readonly bulk?: boolean;
  /** Called once its body is copied into a coalesced write (nobody needs the body any more); not for a frame dropped unwritten, nor one written as a view. */
  readonly written?: () => void;
}

/** What the outbox tells its pipe. */
export interface OutboxEvents {
  /** More than `maxBytes` wait to be written. */
  full(): void;
  /** After `full`: at most half of `maxBytes` wait again. */
  room(): void;
  /** Frames were handed to the transport (stream pumps may queue more). */
  wrote?(): void;
}

/** Outbox options. */
export interface OutboxOptions {
  /** Bytes (headers included) that may wait before `full` is reported. */
  readonly maxBytes: number;
  readonly events?: OutboxEvents;
  /** The clock that frames' `until` refers to (needed only for frames that have one). */
  readonly now?: () => number;
}

/** A large frame partly handed to the transport. */
interface Partial {
  readonly bytes: Uint8Array;
  at: number;
}

/** Queues frames and writes them to a transport as fast as it takes them, control frames first. */
export class Outbox {
  #control: OutboundFrame[] = [];
  #controlHead = 0;
  #bulk: OutboundFrame[] = [];
  #bulkHead = 0;
  #partial: Partial | undefined;
  #queuedBytes = 0;
  #full = false;
  #scheduled = false;
  #blocked = false;
  #closed = false;
  /** Bytes handed to the transport so far. */
  bytesWritten = 0;
  /** Number of transport writes (one per coalesced batch or body slice). */
  writes = 0;
  /** Frames dropped unwritten because their request had settled. */
  dropped = 0;

  readonly #schedule: (flush: () => void) => void;
  readonly #maxBytes: number;
  readonly #events: OutboxEvents | undefined;
  readonly #now: () => number;

  constructor(
    readonly transport: Transport,
    options: OutboxOptions,
  ) {
    this.#schedule = transport.scheduleFlush;
    this.#maxBytes = options.maxBytes;
    this.#events = options.events;
    this.#now = options.now ?? (() => 0);
  }

  /** True while the transport signalled back-pressure and has not drained. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** True while more than `maxBytes` wait (reported by `full`, cleared by `room`). */
  get full(): boolean {
    return this.#full;
  }

  /** Frames waiting to be written. */
  get queued(): number {
    return this.#control.length - this.#controlHead + this.#bulk.length - this.#bulkHead;
  }

  /** Bytes waiting to be written, headers included (a partly written frame counts its rest). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Queues one frame. */
  push(frame: OutboundFrame): void {
    if (this.#closed) return;
    if (frame.size < LARGE_BODY && frame.bulk !== true) this.#control.push(frame);
    else this.#bulk.push(frame);
    this.#count(HEADER_LENGTH + frame.size);
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      this.#schedule(this.#flush);
    }
  }

  /** The transport drained: resume writing. */
  drained(): void {
    this.#blocked = false;
    if (this.#hasWork() && !this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#flush);
    }
  }

  /** Drops the frames that are no longer wanted (their request settled); they free their bytes at once. */
  purge(): void {
    const keep = (queue: OutboundFrame[], head: number): OutboundFrame[] => {
      const kept: OutboundFrame[] = [];
      for (let i = head; i < queue.length; i++) {
        const frame = queue[i]!;
        if (!this.#dead(frame)) kept.push(frame);
        else this.#drop(frame);
      }
      return kept;
    };
    this.#control = keep(this.#control, this.#controlHead);
    this.#controlHead = 0;
    this.#bulk = keep(this.#bulk, this.#bulkHead);
    this.#bulkHead = 0;
  }

  /**
   * The last write before a close: what is queued goes to the transport even
   * while it is backed up (it keeps what it accepts), but only the control
   * frames when more than `maxBytes` wait, so that a close never turns a
   * backlog into one huge buffer.
   */
  flushNow(): void {
    if (this.#closed) return;
    const withBulk = this.#queuedBytes <= this.#maxBytes;
    this.#blocked = false;
    this.#write(withBulk, true);
  }

  /** Drops everything queued; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.#control = [];
    this.#bulk = [];
    this.#controlHead = this.#bulkHead = 0;
    this.#partial = undefined;
  }

  #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#blocked) return;
    this.#write(true, false);
  };

  /** Writes until the transport pushes back (unless `force`) or nothing is left. */
  #write(withBulk: boolean, force: boolean): void {
    while (force || !this.#blocked) {
      if (this.#partial) {
        this.#continuePartial();
        continue;
      }
      if (this.#controlHead < this.#control.length) {
        this.#writeBatch(false);
        continue;
      }
      if (!withBulk || this.#bulkHead >= this.#bulk.length) break;
      // Stream chunks (64 KiB at most) are coalesced like control frames; larger bodies go as views, in slices.
      if (this.#bulk[this.#bulkHead]!.size <= SMALL_BULK) this.#writeBatch(true);
      else this.#startBulk(this.#take(this.#bulk, true)!);
    }
    this.#compact();
    this.#events?.wrote?.();
  }

  /** Writes small frames of one queue as one coalesced buffer of about BATCH_BYTES at most. */
  #writeBatch(bulk: boolean): void {
    const queue = bulk ? this.#bulk : this.#control;
    const frames: Array<{ frame: OutboundFrame; body: Uint8Array }> = [];
    let size = 0;
    let counted = 0;
    while (size < BATCH_BYTES) {
      const head = bulk ? this.#bulkHead : this.#controlHead;
      if (bulk && head < queue.length && queue[head]!.size > SMALL_BULK) break;
      const frame = this.#take(queue, bulk);
      if (!frame) break;
      if (this.#dead(frame)) {
        this.#drop(frame);
        continue;
      }
      const body = bodyOf(frame);
      frames.push({ frame, body });
      size += HEADER_LENGTH + body.length;
      counted += HEADER_LENGTH + frame.size;
    }
    if (frames.length === 0) return;
    const reuse = this.transport.copiesWrites === true && size <= SCRATCH_BYTES;
    const out = reuse ? (scratch ??= new Uint8Array(SCRATCH_BYTES)).subarray(0, size) : new Uint8Array(size);
    let at = 0;
    for (const { frame, body } of frames) {
      writeHeader(out, at, frame.type, body.length, frame.id, frame.flags);
      out.set(body, at + HEADER_LENGTH);
      at += HEADER_LENGTH + body.length;
      frame.written?.();
    }
    this.#count(-counted);
    this.#send(out);
  }

  /** Starts a large frame: its header now, its body in slices. */
  #startBulk(frame: OutboundFrame): void {
    if (this.#dead(frame)) return this.#drop(frame);
    const body = bodyOf(frame);
    const header = new Uint8Array(HEADER_LENGTH);
    writeHeader(header, 0, frame.type, body.length, frame.id, frame.flags);
    this.#count(body.length - HEADER_LENGTH - frame.size); // from here the rest of the body is counted as written
    this.#send(header);
    this.#partial = { bytes: body, at: 0 };
  }

  #continuePartial(): void {
    const partial = this.#partial!;
    const end = Math.min(partial.bytes.length, partial.at + WRITE_SLICE);
    const slice = partial.bytes.subarray(partial.at, end);
    partial.at = end;
    if (end >= partial.bytes.length) this.#partial = undefined;
    this.#count(-slice.length);
    if (slice.length > 0) this.#send(slice);
  }

  /** The next frame of a queue, or undefined. */
  #take(queue: OutboundFrame[], bulk: boolean): OutboundFrame | undefined {
    const head = bulk ? this.#bulkHead : this.#controlHead;
    if (head >= queue.length) return undefined;
    const frame = queue[head]!;
    if (bulk) this.#bulkHead++;
    else this.#controlHead++;
    return frame;
  }

  #dead(frame: OutboundFrame): boolean {
    return (frame.until !== undefined && this.#now() >= frame.until) || (frame.live !== undefined && !frame.live(frame));
  }

  #drop(frame: OutboundFrame): void {
    this.dropped++;
    this.#count(-(HEADER_LENGTH + frame.size));
  }

  #hasWork(): boolean {
    return this.#partial !== undefined || this.queued > 0;
  }

  /** Forgets the written head of each queue once it is long, so that a busy pipe does not grow them. */
  #compact(): void {
    // An emptied queue is truncated in place, not replaced: a new array per flush (of every pipe a fan-out writes to) was 1.4% of a fan-out server's samples.
    if (this.#controlHead === this.#control.length) {
      if (this.#controlHead > 0) this.#control.length = 0;
      this.#controlHead = 0;
    } else if (this.#controlHead > 1024) {
      this.#control = this.#control.slice(this.#controlHead);
      this.#controlHead = 0;
    }
    if (this.#bulkHead === this.#bulk.length) {
      if (this.#bulkHead > 0) this.#bulk.length = 0;
      this.#bulkHead = 0;
    } else if (this.#bulkHead > 64) {
      this.#bulk = this.#bulk.slice(this.#bulkHead);
      this.#bulkHead = 0;
    }
  }

  #count(delta: number): void {
    this.#queuedBytes += delta;
    if (!this.#full && this.#queuedBytes > this.#maxBytes) {
      this.#full = true;
      this.#events?.full();
    } else if (this.#full && this.#queuedBytes <= this.#maxBytes / 2) {
      this.#full = false;
      this.#events?.room();
    }
  }

  #send(bytes: Uint8Array): void {
    this.bytesWritten += bytes.length;
    this.writes++;
    if (!this.transport.write(bytes)) this.#blocked = true;
  }
}

function bodyOf(frame: OutboundFrame): Uint8Array {
  return typeof frame.body === "function" ? frame.body() : frame.body;
}
