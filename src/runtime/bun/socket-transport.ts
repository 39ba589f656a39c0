/**
 * A Bun TCP/TLS socket as a Transport. Bun's `socket.write` writes partially
 * and does not keep the rest, so the remainder is queued here and written on
 * `drain`; data is only ever written after `open`.
 */
import type { Socket } from "bun";
import type { TransportPeer } from "../../pipe/index.ts";
import { PROXY_RECORD_BYTES } from "../_proxy-reasons.ts";
import { CLOSE_FLUSH_TIMEOUT_MS, HARD_QUEUE_LIMIT, HIGH_WATER_MARK, overflowError, TransportBase } from "../_transport-base.ts";

/** The per-socket handler state: Bun calls one set of handlers per listener; `socket.data` points here. */
export class SocketTransport extends TransportBase {
  /** Bun's `socket.write` takes what it writes at once; what is left is copied into the queue here. */
  readonly copiesWrites = true;
  #socket: Socket<SocketTransport>;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #wantDrain = false;
  #closing = false;
  #overflow: Error | undefined;

  #recordBytes: number | undefined;

  /** `recordBytes`: write in slices of at most this many bytes (one TLS record each), see PROXY_RECORD_BYTES. */
  constructor(socket: Socket<SocketTransport>, peer: TransportPeer, recordBytes?: number) {
    super(peer);
    this.#socket = socket;
    this.#recordBytes = recordBytes;
    socket.setNoDelay(true); // Nagle + delayed ACK would add 40 ms to small replies.
  }

  write(bytes: Uint8Array): boolean {
    const slice = this.#recordBytes;
    if (slice === undefined || bytes.length <= slice) return this.#write(bytes);
    let ok = true;
    for (let at = 0; at < bytes.length; at += slice) ok = this.#write(bytes.subarray(at, at + slice));
    return ok;
  }

  #write(bytes: Uint8Array): boolean {
    if (this.ended || this.#closing) return true;
    if (this.#queue.length === 0) {
      const written = this.#socket.write(bytes);
      if (written >= bytes.length) return true;
      const rest = Math.max(0, written);
      this.#enqueue(new Uint8Array(bytes.subarray(rest))); // a copy (a Buffer's `slice` would be a view): the writer may reuse its buffer (copiesWrites)
    } else {
      this.#enqueue(new Uint8Array(bytes));
    }
    if (this.#queuedBytes > HARD_QUEUE_LIMIT) {
      this.#overflow = overflowError(this.#queuedBytes, this.peer.remoteAddress);
      this.#socket.terminate();
      return false;
    }
    if (this.#queuedBytes > HIGH_WATER_MARK) this.#wantDrain = true;
    return !this.#wantDrain;
  }

  preferSmallRecords(): void {
    this.#recordBytes ??= PROXY_RECORD_BYTES;
  }

  close(): void {
    if (this.ended || this.#closing) return;
    this.#closing = true;
    if (this.#queue.length === 0) {
      this.#socket.end();
      return;
    }
    setTimeout(() => this.ended || this.#socket.terminate(), CLOSE_FLUSH_TIMEOUT_MS).unref?.();
  }

  pauseReading(): void {
    this.#socket.pause();
  }

  resumeReading(): void {
    this.#socket.resume();
  }

  /** Cuts the connection at once, dropping queued bytes. */
  terminate(): void {
    this.#socket.terminate();
  }

  /** Bun handler: bytes arrived. */
  onData(chunk: Uint8Array): void {
    this.deliver(chunk);
  }

  /**
   * Frees a read's buffer at once (ArrayBuffer.transfer(0) detaches it and
   * drops its memory): Bun gives each `data` callback a buffer of its own,
   * which the receiver says it no longer views. Only a chunk that is its
   * whole buffer is freed, so that nothing else can lose its bytes.
   *
   * Nobody but us holds such a buffer: Bun made it for this callback and
   * keeps no reference once the callback returns; a decoder's copy is ours;
   * a chunk lent to Bun.serve is given back only at its next pull, when it
   * is done with it (test/integration/lent-bodies.test.ts poisons every
   * freed buffer to check). Were that ever wrong, Bun would see an empty
   * chunk, not freed memory (test/integration/transfer-held.test.ts).
   */
  release(chunk: Uint8Array): void {
    const buffer = chunk.buffer;
    if (chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength) freeBuffer(buffer);
  }

  /** Bun handler: the socket can take more. */
  onDrain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const written = this.#socket.write(head);
      if (written < 0) return;
      this.#queuedBytes -= Math.max(0, written);
      if (written < head.length) {
        this.#queue[0] = head.subarray(Math.max(0, written));
        return;
      }
      this.#queue.shift();
      // The end of our own copy (#write: every queued buffer is one), all written now (Bun keeps nothing of a write): freed at once, not by the collector.
      if (head.byteOffset + head.length === head.buffer.byteLength) freeBuffer(head.buffer);
    }
    if (this.#closing) {
      this.#socket.end();
      return;
    }
    if (this.#wantDrain) {
      this.#wantDrain = false;
      this.drained();
    }
  }

  /** Bun handler: the socket closed (once). */
  onClose(error?: Error): void {
    this.#queue = [];
    this.finish(this.#overflow ?? error);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
  }
}

/** Frees a buffer's memory at once: ArrayBuffer.transfer(0) detaches it (its views read as empty from then on). */
function freeBuffer(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
  try {
    buffer.transfer(0);
  } catch {
    // Not detachable (none seen on Bun 1.4.4): the collector frees it.
  }
}
