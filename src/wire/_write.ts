/**
 * Writing protobuf: varints, length-delimited fields, text as written, and
 * protobuf-ts's checks (with its messages) on the numbers a message carries.
 * Shared by the fast Event/EventReply codec and the general codec.
 */
const encoder = new TextEncoder();

/** A string as written: itself when pure ASCII (one byte per char), else its UTF-8 bytes. */
export type Text = string | Uint8Array;

/** `value` as written: ASCII stays a string, anything else becomes its UTF-8 bytes (lone surrogates as U+FFFD, as TextEncoder and protobuf-ts write them). */
export function text(value: string): Text {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return encoder.encode(value);
  return value;
}

/** protobuf-ts's check and message for uint32 fields. */
export function uint32(value: number): number {
  if (typeof value !== "number") throw new Error(`invalid uint 32: ${typeof value}`);
  if (!Number.isInteger(value) || value > 0xffff_ffff || value < 0) throw new Error(`invalid uint 32: ${value}`);
  return value;
}

/** Bytes of the varint of `n` (a non-negative integer of up to 53 bits). */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  let size = 5;
  for (let rest = Math.floor(n / 0x8_0000_0000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** A uint64 given as a number: a safe non-negative integer (the only ones a number holds exactly). */
export function uint64(value: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new Error(`invalid uint 64: ${value}`);
  return value;
}

/** Writes a varint of up to 53 bits. */
export function putVarint64(out: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    out[at++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** Bytes of a length-delimited field with a one-byte tag. */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Writes a varint of up to 32 bits at `at`; returns the position after it. */
export function putVarint(out: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

/** Writes a one-byte tag, the length and the bytes of `value`; returns the position after them. */
export function putDelimited(out: Uint8Array, at: number, tag: number, value: Text): number {
  out[at++] = tag;
  at = putVarint(out, at, value.length);
  if (typeof value === "string") {
    for (let i = 0; i < value.length; i++) out[at++] = value.charCodeAt(i);
  } else {
    out.set(value, at);
    at += value.length;
  }
  return at;
}
