/**
 * A Bun TCP/TLS socket as a Transport. Bun's `socket.write` writes partially
 * and does not keep the rest, so the remainder is queued here and written on
 * `drain`; data is only ever written after `open`.
 */
import type { Socket } from "bun";
import type { Transport, TransportPeer, TransportSink } from "../../pipe/index.ts";
import { TransportError } from "../errors.ts";

/** Queued bytes above which `write` asks the caller to wait for `drain`. */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/** How long a graceful close waits for queued bytes before cutting the connection. */
const CLOSE_FLUSH_TIMEOUT_MS = 5_000;

/** The per-socket handler state: Bun calls one set of handlers per listener; `socket.data` points here. */
export class SocketTransport implements Transport {
  readonly peer: TransportPeer;
  #socket: Socket<SocketTransport>;
  #sink: TransportSink | undefined;
  #early: Uint8Array[] = [];
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #wantDrain = false;
  #closing = false;
  #ended = false;
  #endError: Error | undefined;

  /**
   * Coalesced frames are flushed after the I/O callbacks now running: each
   * front request arrives in its own callback, and a flush per microtask
   * cost one TLS record and one send() per request (measured at c=64: pipe
   * send() calls per request 1.0 → 0.03 on the server, 0.6 → 0.03 on the client).
   */
  readonly scheduleFlush = (flush: () => void): void => void setImmediate(flush);

  constructor(socket: Socket<SocketTransport>, peer: TransportPeer) {
    this.#socket = socket;
    this.peer = peer;
    socket.setNoDelay(true); // Nagle + delayed ACK would add 40 ms to small replies.
  }

  start(sink: TransportSink): void {
    if (this.#sink) throw new Error("Cannot start transport: already started");
    this.#sink = sink;
    for (const chunk of this.#early) sink.data(chunk);
    this.#early = [];
    if (this.#ended) sink.closed(this.#endError);
  }

  write(bytes: Uint8Array): boolean {
    if (this.#ended || this.#closing) return true;
    if (this.#queue.length === 0) {
      const written = this.#socket.write(bytes);
      if (written >= bytes.length) return true;
      this.#enqueue(written > 0 ? bytes.subarray(written) : bytes);
    } else {
      this.#enqueue(bytes);
    }
    if (this.#queuedBytes > HIGH_WATER_MARK) this.#wantDrain = true;
    return !this.#wantDrain;
  }

  close(): void {
    if (this.#ended || this.#closing) return;
    this.#closing = true;
    if (this.#queue.length === 0) {
      this.#socket.end();
      return;
    }
    setTimeout(() => this.#ended || this.#socket.terminate(), CLOSE_FLUSH_TIMEOUT_MS).unref?.();
  }

  /** Cuts the connection at once, dropping queued bytes. */
  terminate(): void {
    this.#socket.terminate();
  }

  /** Bun handler: bytes arrived. */
  onData(chunk: Uint8Array): void {
    if (this.#sink) this.#sink.data(chunk);
    else this.#early.push(chunk);
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
    }
    if (this.#closing) {
      this.#socket.end();
      return;
    }
    if (this.#wantDrain) {
      this.#wantDrain = false;
      this.#sink?.drain();
    }
  }

  /** Bun handler: the socket closed (once). */
  onClose(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue = [];
    this.#endError = error ? new TransportError(`connection to ${this.peer.remoteAddress} lost: ${error.message}`, { cause: error }) : undefined;
    this.#sink?.closed(this.#endError);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
  }
}
