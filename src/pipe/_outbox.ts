/**
 * Write coalescing: frames queued before the flush the transport schedules
 * (a microtask by default; after the current I/O callbacks on a socket) go
 * out as one transport write. Bodies of LARGE_BODY bytes or more are written
 * as their own buffers instead of being copied into the batch.
 */
import { HEADER_LENGTH, writeHeader, type FrameType } from "../wire/index.ts";
import type { Transport } from "./transport.ts";

/** Bodies at least this long skip the coalescing copy. */
export const LARGE_BODY = 64 * 1024;

interface QueuedFrame {
  readonly type: FrameType;
  readonly id: number;
  readonly body: Uint8Array;
}

/** Queues frames and flushes them to a transport once per scheduled flush, pausing while the transport is backed up. */
export class Outbox {
  #queue: QueuedFrame[] = [];
  #scheduled = false;
  #blocked = false;
  #closed = false;
  /** Bytes handed to the transport so far. */
  bytesWritten = 0;
  /** Number of transport writes (one per coalesced batch or large body). */
  writes = 0;

  readonly #schedule: (flush: () => void) => void;

  constructor(readonly transport: Transport) {
    this.#schedule = transport.scheduleFlush;
  }

  /** True while the transport signalled back-pressure and has not drained. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Frames waiting for the next flush. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one frame. */
  push(type: FrameType, id: number, body: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push({ type, id, body });
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      this.#schedule(this.#flush);
    }
  }

  /** The transport drained: resume flushing. */
  drained(): void {
    this.#blocked = false;
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(this.#flush);
    }
  }

  /** Writes what is queued now, even while back-pressured (the transport keeps what it accepts). */
  flushNow(): void {
    if (this.#closed || this.#queue.length === 0) return;
    const blocked = this.#blocked;
    this.#blocked = false;
    this.#flush();
    this.#blocked ||= blocked;
  }

  /** Drops everything queued; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#blocked) return;
    const frames = this.#queue;
    this.#queue = [];
    let runStart = 0;
    let runBytes = 0;
    for (let i = 0; i < frames.length; i++) {
      const { body } = frames[i]!;
      runBytes += HEADER_LENGTH;
      if (body.length < LARGE_BODY) {
        runBytes += body.length;
        continue;
      }
      this.#writeRun(frames, runStart, i, runBytes);
      this.#write(body);
      runStart = i + 1;
      runBytes = 0;
    }
    if (runBytes > 0) this.#writeRun(frames, runStart, frames.length - 1, runBytes);
  };

  /** Writes frames[from..to] as one buffer; the body of a large last frame is left out (written after it). */
  #writeRun(frames: readonly QueuedFrame[], from: number, to: number, size: number): void {
    const out = new Uint8Array(size);
    let at = 0;
    for (let i = from; i <= to; i++) {
      const { type, id, body } = frames[i]!;
      writeHeader(out, at, type, body.length, id);
      at += HEADER_LENGTH;
      if (body.length < LARGE_BODY) {
        out.set(body, at);
        at += body.length;
      }
    }
    this.#write(out);
  }

  #write(bytes: Uint8Array): void {
    this.bytesWritten += bytes.length;
    this.writes++;
    if (!this.transport.write(bytes)) this.#blocked = true;
  }
}
