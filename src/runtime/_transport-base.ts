/**
 * What every runtime's socket transport does alike: buffer bytes that arrive
 * before `start`, deliver the rest in order, and end exactly once with a
 * TransportError that names the peer. Subclasses do the writing.
 */
import type { Transport, TransportPeer, TransportSink } from "../pipe/index.ts";
import { afterIo } from "./_after-io.ts";
import { TransportError } from "./errors.ts";

/** The error a transport ends with when its writer ignored back-pressure. */
export function overflowError(queued: number, peer: string): Error {
  return new Error(`Cannot queue more bytes for ${peer}: ${queued} bytes already wait, past the hard bound of ${HARD_QUEUE_LIMIT} (the writer ignored back-pressure)`);
}

/**
 * Queued bytes above which `write` asks the caller to wait for `drain`. Kept
 * small (was 4 MiB) because whatever waits here is ahead of every later
 * heartbeat and reply, while the pipe's outbox lets control frames jump its
 * queue: small-request p50 during a 1 GiB transfer went 35 → 7 ms (peers
 * benchmark, loaded machine); 256 KiB cost throughput (drain round trips).
 */
export const HIGH_WATER_MARK = 1024 * 1024;

/**
 * Queued bytes past which a transport ends the connection: the pipe's outbox
 * stops at the high-water mark and writes at most a slice (1 MiB) more, or one
 * last flush of its bounded queue on close, so only a writer that ignores
 * back-pressure gets here.
 */
export const HARD_QUEUE_LIMIT = 64 * 1024 * 1024;

/** How long a graceful close waits for queued bytes before cutting the connection. */
export const CLOSE_FLUSH_TIMEOUT_MS = 5_000;

/** The sink side of a socket transport. */
export abstract class TransportBase implements Transport {
  readonly peer: TransportPeer;
  #sink: TransportSink | undefined;
  #early: Uint8Array[] = [];
  #ended = false;
  #endError: Error | undefined;

  /**
   * Coalesced frames are flushed after the I/O callbacks now running: each
   * front request arrives in its own callback, and a flush per microtask
   * cost one TLS record and one send() per request (measured on Bun at c=64:
   * pipe send() calls per request 1.0 → 0.03 on the server, 0.6 → 0.03 on the client).
   * It must stay after them: Bun aborts a pipelined request's signal within its read callback, and only because
   * the flush comes later is that request's event dropped unwritten (bun/http-server.ts; test/e2e/http-edges.test.ts
   * fails with a microtask flush). The transports of a process share one setImmediate per turn (_after-io.ts).
   */
  readonly scheduleFlush = afterIo;

  constructor(peer: TransportPeer) {
    this.peer = peer;
  }

  start(sink: TransportSink): void {
    if (this.#sink) throw new Error("Cannot start transport: already started");
    this.#sink = sink;
    for (const chunk of this.#early) sink.data(chunk);
    this.#early = [];
    if (this.#ended) sink.closed(this.#endError);
  }

  abstract write(bytes: Uint8Array): boolean;
  abstract close(): void;
  abstract pauseReading(): void;
  abstract resumeReading(): void;

  /** True once the connection has ended. */
  protected get ended(): boolean {
    return this.#ended;
  }

  /** Bytes arrived from the socket. */
  protected deliver(chunk: Uint8Array): void {
    if (this.#ended) return;
    if (this.#sink) this.#sink.data(chunk);
    else this.#early.push(chunk);
  }

  /** The write queue went back below the high-water mark. */
  protected drained(): void {
    if (!this.#ended) this.#sink?.drain();
  }

  /** The socket closed; `error` when abnormally. Only the first call counts. */
  protected finish(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#endError = error ? new TransportError(`connection to ${this.peer.remoteAddress} lost: ${error.message}`, { cause: error }) : undefined;
    this.#sink?.closed(this.#endError);
  }
}
