/**
 * The Transport contract a Pipe runs over. The Bun TLS adapter (runtime/)
 * and the in-memory pair (test/support/) implement it.
 */

/** What a transport delivers to its user. */
export interface TransportSink {
  /** Bytes arrived, in order. The chunk belongs to the receiver from now on (the transport must not reuse it). */
  data(chunk: Uint8Array): void;
  /** The write queue went back below its high-water mark after `write` returned false. */
  drain(): void;
  /** The connection is gone; `error` when it ended abnormally. Called exactly once, after which nothing else is called. */
  closed(error?: Error): void;
  /**
   * Optional: something beside the transport's user (the server revoking a client's certificate) wants the
   * connection ended for `reason`; the user tells its peer why, then closes. Without it the transport just closes.
   */
  closeRequested?(reason: Error): void;
}

/** Who is at the other end, as far as the transport knows. */
export interface TransportPeer {
  /** Remote address as "host:port" (or a descriptive name for in-memory transports). */
  readonly remoteAddress: string;
  /** DER bytes of the certificate the peer presented and the TLS layer verified, if any. */
  readonly certificateDer?: Uint8Array;
}

/** A connected, ordered, reliable byte stream. */
export interface Transport {
  /** The remote end. */
  readonly peer: TransportPeer;
  /**
   * Starts delivery to `sink`. Must be called exactly once; bytes that arrive
   * earlier must be buffered and delivered then.
   */
  start(sink: TransportSink): void;
  /**
   * Queues bytes for sending. Must keep every byte it accepts even when the
   * operating system takes only part of them now. Returns false when the queue
   * is above its high-water mark: the caller must wait for `drain` before
   * writing more (the pipe's outbox does, holding and counting the rest). A
   * transport may end the connection with an error when a writer ignores that
   * and its queue passes a hard bound. Writes after close are dropped.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * Optional: true when `write` keeps no reference to `bytes` once it
   * returns (what it keeps, it copies), so that the writer may reuse the
   * buffer for its next write. A wrapper may pass it on only when it keeps
   * nothing either; absent, the writer gives every write a buffer of its own.
   */
  readonly copiesWrites?: boolean;
  /**
   * Optional: the receiver is done with `chunk`, a chunk `sink.data` was
   * given (or a buffer the receiver made of its own: a decoder's copy), and
   * nobody keeps a view of it: the transport may free its memory at once. Bun gives every read a fresh buffer that only the garbage collector
   * would free, late: a 1 GiB stream left tens of MiB of dead read buffers.
   * A wrapper must pass it on (or leave it absent).
   */
  release?(chunk: Uint8Array): void;
  /**
   * Stops delivering received bytes and stops reading from the connection,
   * so that the peer's writes back up (TCP flow control) instead of our
   * memory. Bytes already read may still be delivered. Idempotent.
   */
  pauseReading(): void;
  /** Reads and delivers again after `pauseReading`. Idempotent. */
  resumeReading(): void;
  /** Closes the connection after flushing what is queued. Idempotent. Ends with `sink.closed`. */
  close(): void;
  /**
   * When a writer that coalesces frames should flush them. A transport whose
   * every write costs a system call (a socket) defers the flush past the I/O
   * callbacks now running, so that frames queued by many of them leave in one
   * write; an in-memory transport can use queueMicrotask. Required, so that a
   * wrapper cannot drop it by accident (that once meant a write per request).
   */
  readonly scheduleFlush: (flush: () => void) => void;
  /**
   * Optional: from now on write TLS records under 1 KiB, because the peer is
   * behind a relay that reads in small pieces with Nagle on (tinyproxy) and
   * would hold the tail of a larger record until a delayed ACK. Asked by a
   * peer that announces the "small-records" capability. A wrapper must pass
   * it on (it is optional only for transports without TLS records).
   */
  preferSmallRecords?(): void;
}
