/**
 * Incremental frame decoder: chunks in, whole frames out.
 *
 * The declared body length is checked against the maximum as soon as the
 * header is complete, before any body byte is kept. Bodies are assembled with
 * one copy at most (zero when a frame lies within one chunk).
 */
import { DEFAULT_MAX_FRAME_BYTES, FrameFlag, FrameType, HEADER_LENGTH, isKnownFrameType, isReplyType, isStreamType } from "./constants.ts";
import { FrameFlagsError, FrameTooLargeError, TruncatedFrameError, UnknownFrameTypeError, WireError } from "./errors.ts";
import { readU32, type Frame } from "./frame.ts";

/** Options of a FrameDecoder. */
export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes (default 16 MiB). */
  readonly maxFrameBytes?: number;
}

interface PendingHeader {
  readonly type: Frame["type"];
  readonly flags: number;
  readonly length: number;
  readonly id: number;
}

/** Turns a byte stream into frames. After an error it stays failed: the stream cannot be resynchronised. */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  #chunks: Uint8Array[] = [];
  #head = 0; // index of the first unread chunk
  /** Bytes of the head chunk already read: consumed in place, so that a frame's header costs no view of its own. */
  #at = 0;
  #buffered = 0;
  #header: PendingHeader | undefined;
  #failure: WireError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffff_ffff) {
      throw new RangeError(`Cannot create decoder: maxFrameBytes must be an integer in [0, 2^32), got ${max}`);
    }
    this.maxFrameBytes = max;
  }

  /** Bytes received but not yet returned as part of a frame. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** True while part of `buffer` waits here (the head of a frame not yet complete). */
  holds(buffer: ArrayBufferLike): boolean {
    for (let i = this.#head; i < this.#chunks.length; i++) if (this.#chunks[i]!.buffer === buffer) return true;
    return false;
  }

  /** Feeds a chunk and yields every frame it completes. Throws a WireError on invalid input. */
  *push(chunk: Uint8Array): Generator<Frame, void, undefined> {
    if (this.#failure) throw this.#failure;
    if (chunk.length > 0) {
      if (this.#head > 64) this.#compact();
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      if (this.#header === undefined) {
        if (this.#buffered < HEADER_LENGTH) return;
        this.#header = this.#readHeader();
      }
      const { length } = this.#header;
      if (this.#buffered < length) return;
      const { type, flags, id } = this.#header;
      this.#header = undefined;
      yield { type, flags, id, body: this.#take(length) };
    }
  }

  /** Declares the end of the stream; throws TruncatedFrameError when it ends inside a frame. */
  end(): void {
    if (this.#failure) return;
    if (this.#header !== undefined) {
      throw this.#fail(new TruncatedFrameError(HEADER_LENGTH + this.#buffered, HEADER_LENGTH + this.#header.length));
    }
    if (this.#buffered > 0) throw this.#fail(new TruncatedFrameError(this.#buffered, HEADER_LENGTH));
  }

  #readHeader(): PendingHeader {
    // A header within the head chunk is read where it lies; one that spans chunks is copied out first.
    const first = this.#chunks[this.#head]!;
    let bytes = first;
    let at = this.#at;
    if (first.length - at >= HEADER_LENGTH) {
      this.#buffered -= HEADER_LENGTH;
      this.#skip(first, HEADER_LENGTH);
    } else {
      bytes = this.#take(HEADER_LENGTH);
      at = 0;
    }
    const type = bytes[at]!;
    const flags = bytes[at + 1]!;
    const length = readU32(bytes, at + 2);
    if (!isKnownFrameType(type)) throw this.#fail(new UnknownFrameTypeError(type));
    if (isStreamType(type)) {
      // Either direction; End only on Data; no other bit.
      const allowed = FrameFlag.Reply | (type === FrameType.Data ? FrameFlag.End : 0);
      if ((flags & ~allowed) !== 0) throw this.#fail(new FrameFlagsError(type, flags));
    } else if (((flags & FrameFlag.Reply) !== 0) !== isReplyType(type)) {
      throw this.#fail(new FrameFlagsError(type, flags));
    }
    if (length > this.maxFrameBytes) throw this.#fail(new FrameTooLargeError(length, this.maxFrameBytes));
    return { type, flags, length, id: readU32(bytes, at + 6) };
  }

  /** Removes `n` buffered bytes (n <= buffered): a view when they lie in one chunk (the chunk itself when it is all of it), else one copy. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[this.#head]!;
    if (n === 0) return first ? first.subarray(0, 0) : new Uint8Array(0);
    const at = this.#at;
    if (first.length - at >= n) {
      const view = at === 0 && n === first.length ? first : first.subarray(at, at + n);
      this.#skip(first, n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#head]!;
      const from = this.#at;
      const part = Math.min(chunk.length - from, n - filled);
      out.set(from === 0 && part === chunk.length ? chunk : chunk.subarray(from, from + part), filled);
      filled += part;
      this.#skip(chunk, part);
    }
    return out;
  }

  /** Consumes `n` bytes of the head chunk (`chunk`); a chunk read to its end leaves the list. */
  #skip(chunk: Uint8Array, n: number): void {
    this.#at += n;
    if (this.#at < chunk.length) return;
    this.#at = 0;
    this.#chunks[this.#head++] = EMPTY;
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0; // emptied in place: a new array per read was garbage on every pipe
      this.#head = 0;
    }
  }

  /** Drops consumed chunk slots so that a long stream does not grow the list. */
  #compact(): void {
    this.#chunks = this.#chunks.slice(this.#head);
    this.#head = 0;
  }

  #fail(error: WireError): WireError {
    this.#failure = error;
    this.#chunks = [];
    this.#head = 0;
    this.#at = 0;
    this.#buffered = 0;
    return error;
  }
}

const EMPTY = new Uint8Array(0);
