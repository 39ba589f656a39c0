/**
 * A node:tls socket as a Transport (the Deno adapter's sockets). Unlike
 * Bun's, a node socket keeps every byte it is given in its own writable
 * buffer, so nothing is queued here: `write` reports whether that buffer is
 * above the high-water mark, and node's `drain` event ends the wait.
 */
import type { TLSSocket } from "node:tls";
import type { TransportPeer } from "../../pipe/index.ts";
import { PROXY_RECORD_BYTES } from "../_proxy-reasons.ts";
import { CLOSE_FLUSH_TIMEOUT_MS, HIGH_WATER_MARK, TransportBase } from "../_transport-base.ts";

/** A connected, authenticated node:tls socket. */
export class NodeSocketTransport extends TransportBase {
  #socket: TLSSocket;
  #wantDrain = false;
  #closing = false;
  #error: Error | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** `recordBytes`: TLS records of at most this many bytes, see PROXY_RECORD_BYTES and preferSmallRecords. */
  constructor(socket: TLSSocket, peer: TransportPeer, recordBytes?: number) {
    super(peer);
    this.#socket = socket;
    if (recordBytes !== undefined) this.#limitRecords(recordBytes);
    socket.setNoDelay(true); // Nagle + delayed ACK would add 40 ms to small replies.
    socket.on("data", (chunk: Uint8Array) => this.deliver(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on("drain", () => {
      if (!this.#wantDrain) return;
      this.#wantDrain = false;
      this.drained();
    });
    socket.on("error", (error: Error) => (this.#error ??= error)); // "close" follows
    socket.on("close", () => {
      clearTimeout(this.#flushTimer);
      this.finish(this.#error);
    });
  }

  write(bytes: Uint8Array): boolean {
    if (this.ended || this.#closing) return true;
    this.#socket.write(bytes);
    // Past node's own small mark (16 KiB) its write returns false, so "drain" is sure to follow.
    if (this.#socket.writableLength > HIGH_WATER_MARK) this.#wantDrain = true;
    return !this.#wantDrain;
  }

  preferSmallRecords(): void {
    this.#limitRecords(PROXY_RECORD_BYTES);
  }

  /**
   * node's TLS (and Bun's node:tls) joins the writes of a tick into one record and honours
   * setMaxSendFragment. Deno 2.9.6 accepts it and ignores it (records stay up to 16 KiB, slicing the
   * writes does not help either: they are joined too), so a Deno peer still gets the peer's small
   * records but does not send them.
   */
  #limitRecords(bytes: number): void {
    this.#socket.setMaxSendFragment(bytes);
  }

  close(): void {
    if (this.ended || this.#closing) return;
    this.#closing = true;
    this.#socket.end();
    this.#flushTimer = setTimeout(() => this.ended || this.#socket.destroy(), CLOSE_FLUSH_TIMEOUT_MS);
  }

  /** Cuts the connection at once, dropping queued bytes. */
  terminate(): void {
    this.#socket.destroy();
  }
}

/** The DER certificate the peer presented, if any. */
export function peerCertificateDer(socket: TLSSocket): Uint8Array | undefined {
  const raw = socket.getPeerX509Certificate()?.raw;
  return raw ? new Uint8Array(raw) : undefined;
}
