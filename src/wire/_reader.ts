/**
 * A protobuf binary reader: the part of protobuf-ts's BinaryReader (2.11.1, Apache-2.0)
 * the v1 messages use, ported line for line so that every body, however
 * unusual (varints past their end, lengths past the buffer, unknown fields,
 * groups), reads to the same message or fails with the same error. The
 * generated code stays the oracle: test/unit/wire/general-codec.test.ts
 * compares both on random and mutated bodies.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** 2^32, to join a varint's two 32-bit halves. */
const TWO_PWR_32 = 0x1_0000_0000;

/** A read position over one body. Bytes read past the end read as undefined (0 in bit arithmetic), as in protobuf-ts. */
export class Reader {
  pos = 0;
  readonly len: number;

  constructor(readonly buf: Uint8Array) {
    this.len = buf.length;
  }

  /** Throws when a read went past the end. */
  assertBounds(): void {
    if (this.pos > this.len) throw new RangeError("premature EOF");
  }

  /** Field number and wire type of the next field. */
  tag(): [number, number] {
    const tag = this.uint32();
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNo <= 0 || wireType > 5) throw new Error(`illegal tag: field no ${fieldNo} wire type ${wireType}`);
    return [fieldNo, wireType];
  }

  /** Skips one value of the given wire type (an unknown field). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        while (this.byte() & 0x80) {
          // a varint's continuation bytes
        }
        break;
      case 1:
        this.pos += 8;
        break;
      case 5:
        this.pos += 4;
        break;
      case 2: {
        const length = this.uint32(); // read first: \`pos += uint32()\` would add to the position before the length
        this.pos += length;
        break;
      }
      case 3: {
        let type: number;
        while ((type = this.tag()[1]) !== 4) this.skip(type);
        break;
      }
      default:
        throw new Error(`cant skip wire type ${wireType}`);
    }
    this.assertBounds();
  }

  /** An unsigned 32-bit varint (longer ones keep their low 32 bits, up to 10 bytes). */
  uint32(): number {
    let b = this.byte();
    let result = b & 0x7f;
    for (let shift = 7; shift <= 21; shift += 7) {
      if ((b & 0x80) === 0) {
        this.assertBounds();
        return result;
      }
      b = this.byte();
      result |= (b & 0x7f) << shift;
    }
    if ((b & 0x80) === 0) {
      this.assertBounds();
      return result;
    }
    b = this.byte();
    result |= (b & 0x0f) << 28;
    for (let read = 5; (b & 0x80) !== 0 && read < 10; read++) b = this.byte();
    if ((b & 0x80) !== 0) throw new Error("invalid varint");
    this.assertBounds();
    return result >>> 0;
  }

  /** A 64-bit varint as its low and high 32 bits. */
  varint64(): [number, number] {
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte();
      low |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.assertBounds();
        return [low, high];
      }
    }
    const middle = this.byte();
    low |= (middle & 0x0f) << 28;
    high = (middle & 0x70) >> 4;
    if ((middle & 0x80) === 0) {
      this.assertBounds();
      return [low, high];
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      const b = this.byte();
      high |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.assertBounds();
        return [low, high];
      }
    }
    throw new Error("invalid varint");
  }

  /** A bool: any non-zero varint is true. */
  bool(): boolean {
    const [low, high] = this.varint64();
    return low !== 0 || high !== 0;
  }

  /** A uint64 as a number, as protobuf-ts's `uint64().toNumber()` (the high half signed, so a top bit set reads negative). */
  uint64(): number {
    const [low, high] = this.varint64();
    const result = (high | 0) * TWO_PWR_32 + (low >>> 0);
    if (!Number.isSafeInteger(result)) throw new Error("cannot convert to safe number");
    return result;
  }

  /** Length-delimited bytes: a view into the body, not a copy. */
  bytes(): Uint8Array {
    const length = this.uint32();
    const start = this.pos;
    this.pos += length;
    this.assertBounds();
    return this.buf.subarray(start, start + length);
  }

  /** Length-delimited UTF-8 text (invalid UTF-8 throws the runtime's TypeError). */
  string(): string {
    return utf8.decode(this.bytes());
  }

  /** The next byte, or 0 past the end (protobuf-ts reads undefined there, which bit arithmetic takes as 0); pos moves on. */
  private byte(): number {
    return this.buf[this.pos++] ?? 0;
  }
}
